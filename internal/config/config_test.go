package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func valid() map[string]string {
	return map[string]string{
		"TableStorage":    "UseDevelopmentStorage=true",
		"ENTRA_CLIENT_ID": "6a9c5a6e-3d1f-4d7b-9a43-3c1f0f0e2b11",
		"ENTRA_TENANT_ID": "0b8f4e2a-7c55-4a8e-8f0e-2a3b4c5d6e7f",
	}
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Port != 8080 || c.EntraScope != "access_as_user" || c.ClockSkew != 2*time.Minute || c.MaxBodyBytes != 1<<20 {
		t.Errorf("got port %d scope %q skew %s max %d, want the defaults", c.Port, c.EntraScope, c.ClockSkew, c.MaxBodyBytes)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  map[string]string
		want []string // substrings, each must appear
	}{
		{"no storage", map[string]string{"TableStorage": ""}, []string{"TableStorage or TableStorage__tableServiceUri"}},
		{"both storages", map[string]string{"TableStorage__tableServiceUri": "https://a.table.core.windows.net"}, []string{"set only one"}},
		{"bad port and level", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "99999", "LOG_LEVEL": "loud"}, []string{"FUNCTIONS_CUSTOMHANDLER_PORT", "LOG_LEVEL"}},
		{"not a number", map[string]string{"MAX_BODY_BYTES": "lots"}, []string{"MAX_BODY_BYTES"}},
		{"entra ids", map[string]string{"ENTRA_CLIENT_ID": "app", "ENTRA_TENANT_ID": ""}, []string{"ENTRA_CLIENT_ID", "ENTRA_TENANT_ID"}},
		{"allowed tenants", map[string]string{"ENTRA_ALLOWED_TENANTS": "*, contoso"}, []string{`"contoso"`}},
		{"dev sign-in in Azure", map[string]string{"DEV_SIGNIN": "true", "WEBSITE_INSTANCE_ID": "abc"}, []string{"refused when running in Azure"}},
		{"bad duration and skew", map[string]string{"ENTRA_CLOCK_SKEW": "1h", "SOFT_DELETE_RETENTION": "soon"}, []string{"ENTRA_CLOCK_SKEW", "SOFT_DELETE_RETENTION"}},
		{"tab cache ttl", map[string]string{"CACHE_TTL": "1h"}, []string{"CACHE_TTL"}},
		{"mail from", map[string]string{"MAIL_FROM": "not an address"}, []string{"MAIL_FROM"}},
		{"cors origin", map[string]string{"CORS_ALLOWED_ORIGINS": "tab.example.com"}, []string{"CORS_ALLOWED_ORIGINS"}},
		{"table prefix", map[string]string{"TABLE_PREFIX": "1-bad"}, []string{"TABLE_PREFIX"}},
		{"external test networks", map[string]string{"EXTERNAL_CALENDAR_TEST_NETWORKS": "127.0.0.1"}, []string{`"127.0.0.1" is not a network`}},
		{"external test networks in Azure", map[string]string{"EXTERNAL_CALENDAR_TEST_NETWORKS": "127.0.0.1/32", "WEBSITE_INSTANCE_ID": "abc"}, []string{"EXTERNAL_CALENDAR_TEST_NETWORKS: for tests only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := valid()
			for k, v := range tt.set {
				m[k] = v
			}
			_, err := Load(env(m))
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want *InvalidError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to mention %q", err, w)
				}
			}
			if len(ie.Problems) < len(tt.want) {
				t.Errorf("got %d problems, want at least %d", len(ie.Problems), len(tt.want))
			}
		})
	}
}

func TestDevSignInNeedsNoEntra(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"TableStorage": "x", "DEV_SIGNIN": "true"}))
	if err != nil {
		t.Fatalf("got %v, want dev sign-in alone to be enough", err)
	}
	if !c.DevSignIn || c.InAzure() {
		t.Errorf("got dev %v inAzure %v", c.DevSignIn, c.InAzure())
	}
}

func TestSettingsListsEveryField(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, s := range Settings() {
		if seen[s.Name] {
			t.Errorf("setting %s listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	for _, name := range []string{"TableStorage", "ENTRA_CLIENT_ID", "DEV_SIGNIN", "WEBSITE_INSTANCE_ID"} {
		if !seen[name] {
			t.Errorf("Settings() lacks %s", name)
		}
	}
}

// TestLocalDeliveryInAzure: in Azure, the in-process queue and the .eml
// outbox would lose every message and mail, so start-up refuses them unless
// ALLOW_LOCAL_DELIVERY_IN_AZURE says a trial accepts that.
func TestLocalDeliveryInAzure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  map[string]string
		want []string // problems mentioning these; none: Load succeeds
	}{
		{"locally, neither is needed", map[string]string{}, nil},
		{"in Azure without either", map[string]string{"WEBSITE_INSTANCE_ID": "abc"}, []string{"ServiceBusConnection or", "SENDGRID_API_KEY: required in Azure"}},
		{"in Azure without SendGrid", map[string]string{"WEBSITE_INSTANCE_ID": "abc", "ServiceBusConnection__fullyQualifiedNamespace": "sb.servicebus.windows.net"}, []string{"SENDGRID_API_KEY: required in Azure"}},
		{"in Azure without Service Bus", map[string]string{"WEBSITE_INSTANCE_ID": "abc", "SENDGRID_API_KEY": "SG.x"}, []string{"ServiceBusConnection or"}},
		{"in Azure with both", map[string]string{"WEBSITE_INSTANCE_ID": "abc", "SENDGRID_API_KEY": "SG.x", "ServiceBusConnection__fullyQualifiedNamespace": "sb.servicebus.windows.net"}, nil},
		{"in Azure, explicitly allowed", map[string]string{"WEBSITE_INSTANCE_ID": "abc", "ALLOW_LOCAL_DELIVERY_IN_AZURE": "true"}, nil},
		{"not a boolean", map[string]string{"ALLOW_LOCAL_DELIVERY_IN_AZURE": "sure"}, []string{"ALLOW_LOCAL_DELIVERY_IN_AZURE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := valid()
			for k, v := range tt.set {
				m[k] = v
			}
			if m["WEBSITE_INSTANCE_ID"] != "" {
				m["WEBSITE_HOSTNAME"] = "func-teamspro.azurewebsites.net" // as App Service sets it
			}
			_, err := Load(env(m))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no problem", err)
				}
				return
			}
			var ie *InvalidError
			if !errors.As(err, &ie) || len(ie.Problems) != len(tt.want) {
				t.Fatalf("got %v, want %d problems", err, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

// TestPublicOrigin: absolute URLs are built from PUBLIC_ORIGIN, which
// defaults to the app's host name in Azure and to the listen address
// elsewhere, and accepts an origin only.
func TestPublicOrigin(t *testing.T) {
	t.Parallel()
	azure := map[string]string{"WEBSITE_INSTANCE_ID": "abc", "ALLOW_LOCAL_DELIVERY_IN_AZURE": "true"}
	tests := []struct {
		name    string
		set     map[string]string
		want    string // the origin, when valid
		wantErr string // a problem mentioning this, when not
	}{
		{"default: the listen address", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "7071"}, "http://127.0.0.1:7071", ""},
		{"default in Azure: the app's host name", merge(azure, map[string]string{"WEBSITE_HOSTNAME": "Func-TeamsPro-abc.azurewebsites.net"}), "https://func-teamspro-abc.azurewebsites.net", ""},
		{"set", map[string]string{"PUBLIC_ORIGIN": "https://teamspro.contoso.com", "WEBSITE_HOSTNAME": "x.azurewebsites.net"}, "https://teamspro.contoso.com", ""},
		{"trailing slash", map[string]string{"PUBLIC_ORIGIN": "https://teamspro.contoso.com/"}, "https://teamspro.contoso.com", ""},
		{"with a port", map[string]string{"PUBLIC_ORIGIN": "http://localhost:7071"}, "http://localhost:7071", ""},
		{"a path", map[string]string{"PUBLIC_ORIGIN": "https://contoso.com/api"}, "", "PUBLIC_ORIGIN"},
		{"a query", map[string]string{"PUBLIC_ORIGIN": "https://contoso.com?x=1"}, "", "PUBLIC_ORIGIN"},
		{"no scheme", map[string]string{"PUBLIC_ORIGIN": "contoso.com"}, "", "PUBLIC_ORIGIN"},
		{"another scheme", map[string]string{"PUBLIC_ORIGIN": "ftp://contoso.com"}, "", "PUBLIC_ORIGIN"},
		{"a user", map[string]string{"PUBLIC_ORIGIN": "https://me@contoso.com"}, "", "PUBLIC_ORIGIN"},
		{"http in Azure", merge(azure, map[string]string{"PUBLIC_ORIGIN": "http://contoso.com"}), "", "must be https in Azure"},
		{"in Azure without a host name", azure, "", "PUBLIC_ORIGIN: required in Azure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(merge(valid(), tt.set)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want a problem mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no problem", err)
			}
			if c.PublicOrigin != tt.want {
				t.Errorf("got PublicOrigin %q, want %q", c.PublicOrigin, tt.want)
			}
		})
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
