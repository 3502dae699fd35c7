// Package config reads the handler's settings from the environment into one typed
// value and validates them all at once. It is the only place that reads the
// environment: everything else receives a Config.
//
// Each field names its variable in an `env` tag. Names that the Functions
// platform sets by itself carry `platform:"true"`: the handler reads them, but
// they belong in neither the app settings of infra/ nor local.settings.sample.json.
// Setting names with "__" follow the Functions convention for identity-based
// connections, so the Service Bus trigger and the handler share one setting.
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/teamspro/functions/internal/teamspro"
)

// Config holds every setting of the handler.
type Config struct {
	// Port is where the handler listens; the Functions host chooses it and
	// passes it (make run sets 7071).
	Port     int    `env:"FUNCTIONS_CUSTOMHANDLER_PORT" default:"8080" platform:"true"`
	LogLevel string `env:"LOG_LEVEL" default:"info"`

	// Table Storage: a connection string (Azurite, or an account key) or the
	// table endpoint reached with the managed identity.
	TableConnectionString string `env:"TableStorage" secret:"true"`
	TableServiceURI       string `env:"TableStorage__tableServiceUri"`
	// TablePrefix is put before every table name, so several deployments (or
	// test runs) can share one account.
	TablePrefix string `env:"TABLE_PREFIX" default:"teamspro"`
	// ManagedIdentityClientID selects a user-assigned identity for azidentity.
	ManagedIdentityClientID string `env:"AZURE_CLIENT_ID"`

	// Service Bus: a connection string or a namespace reached with the managed
	// identity. With neither, an in-process queue delivers notifications.
	ServiceBusConnectionString string `env:"ServiceBusConnection" secret:"true"`
	ServiceBusNamespace        string `env:"ServiceBusConnection__fullyQualifiedNamespace"`
	NotificationQueue          string `env:"NOTIFICATION_QUEUE" default:"notifications"`

	// Sign-in with Entra ID access tokens from Teams SSO.
	EntraClientID       string        `env:"ENTRA_CLIENT_ID"`
	EntraAppIDURI       string        `env:"ENTRA_APP_ID_URI"`
	EntraTenantID       string        `env:"ENTRA_TENANT_ID"`
	EntraAllowedTenants []string      `env:"ENTRA_ALLOWED_TENANTS"`
	EntraScope          string        `env:"ENTRA_API_SCOPE" default:"access_as_user"`
	EntraJWKSURL        string        `env:"ENTRA_JWKS_URL" default:"https://login.microsoftonline.com/common/discovery/v2.0/keys"`
	ClockSkew           time.Duration `env:"ENTRA_CLOCK_SKEW" default:"2m"`
	AdminAppRole        string        `env:"ADMIN_APP_ROLE" default:"TeamsPro.Admin"`
	AdminObjectIDs      []string      `env:"ADMIN_OBJECT_IDS"`

	// Dev sign-in: a local issuer for running without Entra ID. Refused in Azure.
	DevSignIn        bool   `env:"DEV_SIGNIN" default:"false"`
	DevSignInKeyFile string `env:"DEV_SIGNIN_KEY_FILE" default:".data/dev-signin-key.json"`
	// LocalTimers fires the timer functions in process, on their function.json
	// schedules, where no Functions host runs them (make run). Refused in
	// Azure, where the host runs them and they would run twice.
	LocalTimers bool `env:"LOCAL_TIMERS" default:"false"`
	// ExternalCalendarTestNetworks admits these networks (CIDR, comma-separated)
	// and plain http to them as destinations of external calendar fetches,
	// which otherwise refuse every loopback, private, link-local and metadata
	// address. FOR TESTS ONLY (a test serves ICS files from a local server);
	// refused in Azure.
	ExternalCalendarTestNetworks []string `env:"EXTERNAL_CALENDAR_TEST_NETWORKS"`
	// WebsiteInstanceID is set by App Service on every instance in Azure.
	WebsiteInstanceID string `env:"WEBSITE_INSTANCE_ID" platform:"true"`

	// Mail through SendGrid; without an API key, mails go to MailOutboxDir as files.
	SendGridAPIKey  string `env:"SENDGRID_API_KEY" secret:"true"`
	SendGridBaseURL string `env:"SENDGRID_BASE_URL" default:"https://api.sendgrid.com"`
	MailFrom        string `env:"MAIL_FROM" default:"TeamsPro <noreply@teamspro.invalid>"`
	MailOutboxDir   string `env:"MAIL_OUTBOX_DIR" default:".data/outbox"`
	// AllowLocalDeliveryInAzure lets the in-process queue (no Service Bus)
	// and the .eml outbox (no SendGrid key) run in Azure, for a trial
	// deployment: there, queued messages die with the instance and mails stay
	// on its temporary disk, so without this setting start-up refuses them.
	AllowLocalDeliveryInAzure bool `env:"ALLOW_LOCAL_DELIVERY_IN_AZURE" default:"false"`

	// HTTP.
	//
	// PublicOrigin is the origin (scheme://host[:port], no path) at which
	// clients reach the API: absolute URLs the API hands out (an ICS feed's
	// link) are built from it, never from a request's Host header, which
	// the caller chooses. Unset, it is https://WEBSITE_HOSTNAME in Azure
	// and the handler's own listen address elsewhere (make run); behind a
	// custom domain, or under a local Functions host that listens on
	// another port than the handler, set it.
	PublicOrigin string `env:"PUBLIC_ORIGIN"`
	// WebsiteHostname is the app's default host name, set by App Service.
	WebsiteHostname    string   `env:"WEBSITE_HOSTNAME" platform:"true"`
	CORSAllowedOrigins []string `env:"CORS_ALLOWED_ORIGINS"`
	MaxBodyBytes       int64    `env:"MAX_BODY_BYTES" default:"1048576"`

	// CacheTTL is how long an instance remembers a calendar's tab (its
	// permissions), a room (its rules) and a calendar's external calendars
	// (for its views); changes made on another instance apply after at most
	// this long. 0 reads them on every request.
	CacheTTL time.Duration `env:"CACHE_TTL" default:"15s"`

	// SoftDeleteRetention is how long soft-deleted items can be restored.
	SoftDeleteRetention time.Duration `env:"SOFT_DELETE_RETENTION" default:"720h"`
}

// Setting describes one environment variable the handler reads.
type Setting struct {
	Name     string
	Default  string
	Platform bool // set by the Functions platform, not by the deployment
	Secret   bool // never logged
}

// Settings lists every variable the handler reads, in declaration order.
func Settings() []Setting {
	t := reflect.TypeOf(Config{})
	out := make([]Setting, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		out = append(out, Setting{
			Name:     name,
			Default:  f.Tag.Get("default"),
			Platform: f.Tag.Get("platform") == "true",
			Secret:   f.Tag.Get("secret") == "true",
		})
	}
	return out
}

// Load reads every setting through getenv (os.Getenv in production, a map in
// tests) and validates the result. The error lists every problem at once.
func Load(getenv func(string) string) (*Config, error) {
	var c Config
	var problems []string
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		raw := strings.TrimSpace(getenv(name))
		if raw == "" {
			raw = f.Tag.Get("default")
		}
		if raw == "" {
			continue
		}
		if err := set(v.Field(i), raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	c.defaultPublicOrigin()
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return nil, &InvalidError{Problems: problems}
	}
	return &c, nil
}

// InvalidError lists every problem found in the environment.
type InvalidError struct{ Problems []string }

func (e *InvalidError) Error() string {
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

func set(f reflect.Value, raw string) error {
	switch f.Interface().(type) {
	case string:
		f.SetString(raw)
	case bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", raw)
		}
		f.SetBool(b)
	case int, int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", raw)
		}
		f.SetInt(n)
	case time.Duration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 90s or 2h", raw)
		}
		f.Set(reflect.ValueOf(d))
	case []string:
		var list []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported setting type %s", f.Type())
	}
	return nil
}

func (c *Config) validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if c.Port < 1 || c.Port > 65535 {
		add("FUNCTIONS_CUSTOMHANDLER_PORT: %d is not a TCP port", c.Port)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel)
	}

	switch {
	case c.TableConnectionString == "" && c.TableServiceURI == "":
		add("TableStorage or TableStorage__tableServiceUri: one is required")
	case c.TableConnectionString != "" && c.TableServiceURI != "":
		add("TableStorage and TableStorage__tableServiceUri: set only one")
	case c.TableServiceURI != "" && !isHTTPURL(c.TableServiceURI):
		add("TableStorage__tableServiceUri: %q is not an http(s) URL", c.TableServiceURI)
	}
	if !tableNameRE(c.TablePrefix) {
		add("TABLE_PREFIX: %q must be letters and digits, starting with a letter, at most 20", c.TablePrefix)
	}
	if c.ServiceBusConnectionString != "" && c.ServiceBusNamespace != "" {
		add("ServiceBusConnection and ServiceBusConnection__fullyQualifiedNamespace: set only one")
	}
	if c.NotificationQueue == "" {
		add("NOTIFICATION_QUEUE: required")
	}

	if !c.DevSignIn || c.EntraClientID != "" || c.EntraTenantID != "" {
		if !teamspro.IsGUID(c.EntraClientID) {
			add("ENTRA_CLIENT_ID: the application (client) id GUID is required")
		}
		if !teamspro.IsGUID(c.EntraTenantID) {
			add("ENTRA_TENANT_ID: the deploying tenant id GUID is required")
		}
	}
	for _, t := range c.EntraAllowedTenants {
		if t != "*" && !teamspro.IsGUID(t) {
			add("ENTRA_ALLOWED_TENANTS: %q is neither a tenant GUID nor *", t)
		}
	}
	for _, id := range c.AdminObjectIDs {
		if !teamspro.IsGUID(id) {
			add("ADMIN_OBJECT_IDS: %q is not an object id GUID", id)
		}
	}
	if c.EntraScope == "" {
		add("ENTRA_API_SCOPE: required")
	}
	if !isHTTPURL(c.EntraJWKSURL) {
		add("ENTRA_JWKS_URL: %q is not an http(s) URL", c.EntraJWKSURL)
	}
	if c.ClockSkew < 0 || c.ClockSkew > 10*time.Minute {
		add("ENTRA_CLOCK_SKEW: %s is outside 0..10m", c.ClockSkew)
	}
	if c.DevSignIn && c.WebsiteInstanceID != "" {
		add("DEV_SIGNIN: dev sign-in is refused when running in Azure (WEBSITE_INSTANCE_ID is set)")
	}
	if c.LocalTimers && c.WebsiteInstanceID != "" {
		add("LOCAL_TIMERS: refused when running in Azure (WEBSITE_INSTANCE_ID is set), where the Functions host runs the timers")
	}
	for _, n := range c.ExternalCalendarTestNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			add("EXTERNAL_CALENDAR_TEST_NETWORKS: %q is not a network such as 127.0.0.1/32", n)
		}
	}
	if len(c.ExternalCalendarTestNetworks) > 0 && c.WebsiteInstanceID != "" {
		add("EXTERNAL_CALENDAR_TEST_NETWORKS: for tests only, refused when running in Azure (WEBSITE_INSTANCE_ID is set)")
	}
	if c.DevSignIn && c.DevSignInKeyFile == "" {
		add("DEV_SIGNIN_KEY_FILE: required with DEV_SIGNIN")
	}

	if !isHTTPURL(c.SendGridBaseURL) {
		add("SENDGRID_BASE_URL: %q is not an http(s) URL", c.SendGridBaseURL)
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		add("MAIL_FROM: %q is not an email address", c.MailFrom)
	}
	if c.SendGridAPIKey == "" && c.MailOutboxDir == "" {
		add("MAIL_OUTBOX_DIR: required when SENDGRID_API_KEY is not set")
	}
	if c.InAzure() && !c.AllowLocalDeliveryInAzure {
		if c.ServiceBusConnectionString == "" && c.ServiceBusNamespace == "" {
			add("ServiceBusConnection or ServiceBusConnection__fullyQualifiedNamespace: required in Azure (WEBSITE_INSTANCE_ID is set), where an in-process queue loses its messages with the instance; ALLOW_LOCAL_DELIVERY_IN_AZURE=true accepts that")
		}
		if c.SendGridAPIKey == "" {
			add("SENDGRID_API_KEY: required in Azure (WEBSITE_INSTANCE_ID is set), where mails written to MAIL_OUTBOX_DIR reach no one; ALLOW_LOCAL_DELIVERY_IN_AZURE=true accepts that")
		}
	}
	if c.PublicOrigin == "" {
		add("PUBLIC_ORIGIN: required in Azure when WEBSITE_HOSTNAME is not set")
	} else if err := checkOrigin(c.PublicOrigin); err != nil {
		add("PUBLIC_ORIGIN: %q %v", c.PublicOrigin, err)
	} else if c.InAzure() && !strings.HasPrefix(c.PublicOrigin, "https://") {
		add("PUBLIC_ORIGIN: %q must be https in Azure (WEBSITE_INSTANCE_ID is set)", c.PublicOrigin)
	}
	for _, o := range c.CORSAllowedOrigins {
		if o != "*" && !isHTTPURL(o) {
			add("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://tab.example.com", o)
		}
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 32<<20 {
		add("MAX_BODY_BYTES: %d is outside 1024..33554432", c.MaxBodyBytes)
	}
	if c.CacheTTL < 0 || c.CacheTTL > 5*time.Minute {
		add("CACHE_TTL: %s is outside 0..5m", c.CacheTTL)
	}
	if c.SoftDeleteRetention < time.Hour {
		add("SOFT_DELETE_RETENTION: %s is shorter than 1h", c.SoftDeleteRetention)
	}
	return p
}

// defaultPublicOrigin fills PublicOrigin when unset: the app's host name in
// Azure, the listen address elsewhere; a set one loses a trailing slash.
func (c *Config) defaultPublicOrigin() {
	switch {
	case c.PublicOrigin != "":
		c.PublicOrigin = strings.TrimSuffix(c.PublicOrigin, "/")
	case c.WebsiteHostname != "":
		c.PublicOrigin = "https://" + strings.ToLower(c.WebsiteHostname)
	case !c.InAzure():
		c.PublicOrigin = "http://127.0.0.1:" + strconv.Itoa(c.Port)
	}
}

// checkOrigin accepts an http(s) origin: a scheme and a host, nothing else.
func checkOrigin(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Hostname() == "":
		return errors.New("is not an origin such as https://teamspro.contoso.com")
	case u.User != nil, u.Path != "", u.RawQuery != "", u.ForceQuery, u.Fragment != "", u.Opaque != "":
		return errors.New("must be an origin only: no user, path, query or fragment")
	}
	return nil
}

// ExternalTestNetworks returns EXTERNAL_CALENDAR_TEST_NETWORKS parsed (Load
// validated them).
func (c *Config) ExternalTestNetworks() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range c.ExternalCalendarTestNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// AllowsAnyTenant reports whether ENTRA_ALLOWED_TENANTS contains "*".
func (c *Config) AllowsAnyTenant() bool {
	for _, t := range c.EntraAllowedTenants {
		if t == "*" {
			return true
		}
	}
	return false
}

// InAzure reports whether the handler runs on the Azure Functions platform.
func (c *Config) InAzure() bool { return c.WebsiteInstanceID != "" }

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func tableNameRE(s string) bool {
	if len(s) < 1 || len(s) > 20 {
		return false
	}
	for i, r := range s {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}
