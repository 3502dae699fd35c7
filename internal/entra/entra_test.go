package entra_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/entra/entratest"
	"github.com/teamspro/functions/internal/teamspro"
)

func newValidator(t testing.TB, idp *entratest.IDP, mutate func(*entra.Config)) *entra.Validator {
	t.Helper()
	v, _ := newValidatorWithKeys(t, idp, mutate)
	return v
}

// newValidatorWithKeys is newValidator, with the key cache it reads.
func newValidatorWithKeys(t testing.TB, idp *entratest.IDP, mutate func(*entra.Config)) (*entra.Validator, *entra.RemoteKeys) {
	t.Helper()
	keys, err := entra.NewRemoteKeys(t.Context(), idp.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg := entra.Config{
		ClientID: idp.ClientID, AppIDURI: "api://tab.contoso.example/" + idp.ClientID, TenantID: idp.TenantID,
		Scope: "access_as_user", AdminRole: "TeamsPro.Admin", ClockSkew: 2 * time.Minute,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := entra.NewValidator(cfg, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v, keys
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// raw builds a token from header and claims with an arbitrary signature.
func raw(header, claims map[string]any, sig string) string {
	return b64(header) + "." + b64(claims) + "." + sig
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	v := newValidator(t, idp, nil)
	other := uuid.NewString()

	tests := []struct {
		name   string
		claims func(map[string]any)
		sign   func(c map[string]any) string
		admin  bool
		upn    string
	}{
		{name: "v2 token", upn: "ada@contoso.example"},
		{name: "v1 token with App ID URI audience", claims: func(c map[string]any) {
			c["iss"] = "https://sts.windows.net/" + idp.TenantID + "/"
			c["aud"] = "api://tab.contoso.example/" + idp.ClientID
			c["ver"] = "1.0"
			delete(c, "preferred_username")
			c["upn"] = "ada.v1@contoso.example"
		}, upn: "ada.v1@contoso.example"},
		{name: "EC key (ES256)", sign: func(c map[string]any) string {
			return idp.Sign(t, c, jwa.ES256, idp.EC, "ec-1")
		}, upn: "ada@contoso.example"},
		{name: "admin app role", claims: func(c map[string]any) { c["roles"] = []string{"TeamsPro.Admin"} }, admin: true, upn: "ada@contoso.example"},
		{name: "expired within the allowed skew", claims: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, upn: "ada@contoso.example"},
		{name: "scope among others", claims: func(c map[string]any) { c["scp"] = "User.Read access_as_user" }, upn: "ada@contoso.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := idp.Claims()
			if tt.claims != nil {
				tt.claims(c)
			}
			tok := ""
			if tt.sign != nil {
				tok = tt.sign(c)
			} else {
				tok = idp.Token(t, c)
			}
			p, err := v.Validate(context.Background(), tok)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if p.TenantID != idp.TenantID || p.ObjectID != c["oid"] {
				t.Errorf("got tenant %s user %s, want %s %s", p.TenantID, p.ObjectID, idp.TenantID, c["oid"])
			}
			if p.Admin != tt.admin {
				t.Errorf("got admin %v, want %v", p.Admin, tt.admin)
			}
			if p.UPN != tt.upn {
				t.Errorf("got upn %q, want %q", p.UPN, tt.upn)
			}
		})
	}
	_ = other
}

func TestValidateRejects(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	v := newValidator(t, idp, nil)
	otherTenant := uuid.NewString()
	now := time.Now()

	pubJSON := func() []byte { pub, _ := idp.RSA.PublicKey(); b, _ := json.Marshal(pub); return b }()

	tests := []struct {
		name  string
		token func() string
		code  string
	}{
		{"empty", func() string { return "" }, teamspro.EUNAUTHORIZED},
		{"not a JWT", func() string { return "hello.world" }, teamspro.EUNAUTHORIZED},
		{"alg none", func() string {
			return raw(map[string]any{"alg": "none", "kid": "rsa-1", "typ": "JWT"}, idp.Claims(), "")
		}, teamspro.EUNAUTHORIZED},
		{"HS256 signed with the public key as secret", func() string {
			h := b64(map[string]any{"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}) + "." + b64(idp.Claims())
			m := hmac.New(sha256.New, pubJSON)
			m.Write([]byte(h))
			return h + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
		}, teamspro.EUNAUTHORIZED},
		{"unknown kid", func() string { return idp.Sign(t, idp.Claims(), jwa.RS256, idp.Unlisted, "rsa-unlisted") }, teamspro.EUNAUTHORIZED},
		{"no kid", func() string { return idp.Sign(t, idp.Claims(), jwa.RS256, idp.RSA, "") }, teamspro.EUNAUTHORIZED},
		{"known kid, signed by another key", func() string { return idp.Sign(t, idp.Claims(), jwa.RS256, idp.Unlisted, "rsa-1") }, teamspro.EUNAUTHORIZED},
		{"tampered claims", func() string {
			tok := idp.Token(t, idp.Claims())
			parts := strings.Split(tok, ".")
			c := idp.Claims()
			c["oid"] = uuid.NewString()
			return parts[0] + "." + b64(c) + "." + parts[2]
		}, teamspro.EUNAUTHORIZED},
		{"RSA key with an EC algorithm header", func() string {
			return raw(map[string]any{"alg": "ES256", "kid": "rsa-1"}, idp.Claims(), "AAAA")
		}, teamspro.EUNAUTHORIZED},
		{"expired", func() string {
			c := idp.Claims()
			c["exp"] = now.Add(-10 * time.Minute).Unix()
			return idp.Token(t, c)
		}, teamspro.EUNAUTHORIZED},
		{"not yet valid", func() string {
			c := idp.Claims()
			c["nbf"] = now.Add(10 * time.Minute).Unix()
			return idp.Token(t, c)
		}, teamspro.EUNAUTHORIZED},
		{"no exp", func() string { c := idp.Claims(); delete(c, "exp"); return idp.Token(t, c) }, teamspro.EUNAUTHORIZED},
		{"issuer of another tenant than tid", func() string {
			c := idp.Claims()
			c["iss"] = "https://login.microsoftonline.com/" + otherTenant + "/v2.0"
			return idp.Token(t, c)
		}, teamspro.EUNAUTHORIZED},
		{"foreign issuer", func() string {
			c := idp.Claims()
			c["iss"] = "https://evil.example/" + idp.TenantID + "/v2.0"
			return idp.Token(t, c)
		}, teamspro.EUNAUTHORIZED},
		{"dev issuer while dev sign-in is off", func() string {
			c := idp.Claims()
			c["iss"] = entra.DevIssuerName
			c["aud"] = entra.DevAudience
			return idp.Token(t, c)
		}, teamspro.EUNAUTHORIZED},
		{"wrong audience", func() string { c := idp.Claims(); c["aud"] = uuid.NewString(); return idp.Token(t, c) }, teamspro.EUNAUTHORIZED},
		{"v1 issuer with v2 version", func() string {
			c := idp.Claims()
			c["iss"] = "https://sts.windows.net/" + idp.TenantID + "/"
			return idp.Token(t, c)
		}, teamspro.EUNAUTHORIZED},
		{"missing oid", func() string { c := idp.Claims(); delete(c, "oid"); return idp.Token(t, c) }, teamspro.EUNAUTHORIZED},
		{"missing tid", func() string { c := idp.Claims(); delete(c, "tid"); return idp.Token(t, c) }, teamspro.EUNAUTHORIZED},
		{"oid not a GUID", func() string { c := idp.Claims(); c["oid"] = "x'; drop"; return idp.Token(t, c) }, teamspro.EUNAUTHORIZED},
		{"tenant not allowed", func() string {
			c := idp.Claims()
			c["tid"] = otherTenant
			c["iss"] = "https://login.microsoftonline.com/" + otherTenant + "/v2.0"
			return idp.Token(t, c)
		}, teamspro.EFORBIDDEN},
		{"scope missing", func() string { c := idp.Claims(); c["scp"] = "User.Read"; return idp.Token(t, c) }, teamspro.EFORBIDDEN},
		{"app-only token (roles, no scp)", func() string {
			c := idp.Claims()
			delete(c, "scp")
			c["roles"] = []string{"TeamsPro.Admin"}
			return idp.Token(t, c)
		}, teamspro.EFORBIDDEN},
		{"oversized", func() string { return strings.Repeat("a", 17<<10) }, teamspro.EUNAUTHORIZED},
	}
	if len(tests) < 15 {
		t.Fatalf("got %d forged tokens, want at least 15", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := v.Validate(context.Background(), tt.token())
			if got := teamspro.ErrorCode(err); got != tt.code {
				t.Errorf("got code %q (%v), want %q", got, err, tt.code)
			}
		})
	}
}

func TestAllowedTenants(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	guest := uuid.NewString()
	tests := []struct {
		name    string
		allowed []string
		want    string
	}{
		{"deploying tenant only", nil, teamspro.EFORBIDDEN},
		{"listed", []string{guest}, ""},
		{"any", []string{"*"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newValidator(t, idp, func(c *entra.Config) { c.AllowedTenants = tt.allowed })
			c := idp.Claims()
			c["tid"] = guest
			c["iss"] = "https://login.microsoftonline.com/" + guest + "/v2.0"
			_, err := v.Validate(context.Background(), idp.Token(t, c))
			if got := teamspro.ErrorCode(err); got != tt.want {
				t.Errorf("got %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestAdminObjectIDs(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	c := idp.Claims()
	v := newValidator(t, idp, func(cfg *entra.Config) { cfg.AdminObjectIDs = []string{strings.ToUpper(c["oid"].(string))} })
	p, err := v.Validate(context.Background(), idp.Token(t, c))
	if err != nil || !p.Admin {
		t.Fatalf("got admin %v err %v, want admin", p.Admin, err)
	}
}

func TestJWKSCachedAndRefreshBounded(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	v := newValidator(t, idp, nil)
	for i := 0; i < 5; i++ {
		if _, err := v.Validate(context.Background(), idp.Token(t, idp.Claims())); err != nil {
			t.Fatal(err)
		}
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("got %d JWKS fetches for 5 tokens, want 1", got)
	}
	for i := 0; i < 5; i++ {
		_, _ = v.Validate(context.Background(), idp.Sign(t, idp.Claims(), jwa.RS256, idp.Unlisted, "rsa-unlisted"))
	}
	if got := idp.Fetches.Load(); got > 2 {
		t.Errorf("got %d JWKS fetches after 5 unknown kids, want at most 2 (one forced refresh)", got)
	}
}

func TestDevIssuer(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "dev", "key.json")
	dev, err := entra.LoadDevIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := entra.LoadDevIssuer(path)
	if err != nil {
		t.Fatal(err)
	}
	tenant, user := uuid.NewString(), uuid.NewString()
	tok, err := again.Mint(entra.DevClaims{TenantID: tenant, ObjectID: user, UPN: "dev@x.example", Admin: true, Role: "TeamsPro.Admin", Scope: "access_as_user"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	withDev, err := entra.NewValidator(entra.Config{Scope: "access_as_user", AdminRole: "TeamsPro.Admin"}, nil, dev)
	if err != nil {
		t.Fatal(err)
	}
	p, err := withDev.Validate(context.Background(), tok)
	if err != nil {
		t.Fatalf("dev token refused with dev sign-in on: %v", err)
	}
	if p.TenantID != tenant || p.ObjectID != user || !p.Admin || p.UPN != "dev@x.example" {
		t.Errorf("got %+v, want tenant %s user %s admin", p, tenant, user)
	}

	idp := entratest.New(t)
	withoutDev := newValidator(t, idp, nil)
	if _, err := withoutDev.Validate(context.Background(), tok); teamspro.ErrorCode(err) != teamspro.EUNAUTHORIZED {
		t.Errorf("dev token with dev sign-in off: got %v, want unauthorized", err)
	}
	other, _ := entra.LoadDevIssuer(filepath.Join(t.TempDir(), "other.json"))
	otherTok, _ := other.Mint(entra.DevClaims{TenantID: tenant, ObjectID: user, Scope: "access_as_user"}, time.Now())
	if _, err := withDev.Validate(context.Background(), otherTok); teamspro.ErrorCode(err) != teamspro.EUNAUTHORIZED {
		t.Errorf("token of another dev key: got %v, want unauthorized", err)
	}
}

// TestCachedTokenStillExpires: a token validated once is answered from the
// cache, and the cache never outlives the token.
func TestCachedTokenStillExpires(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	now := time.Now()
	v := newValidator(t, idp, func(c *entra.Config) { c.Now = func() time.Time { return now } })
	c := idp.Claims()
	tok := idp.Token(t, c)
	first, err := v.Validate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	again, err := v.Validate(context.Background(), tok)
	if err != nil || again.ObjectID != first.ObjectID {
		t.Fatalf("second validation: got %+v %v, want the same principal", again, err)
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("got %d key fetches, want 1", got)
	}
	now = now.Add(2 * time.Hour) // the token expired an hour ago
	if _, err := v.Validate(context.Background(), tok); teamspro.ErrorCode(err) != teamspro.EUNAUTHORIZED {
		t.Errorf("expired cached token: got %v, want unauthorized", err)
	}
}

// TestWarmFetchesBeforeTheFirstToken: after Warm, validating a token fetches
// nothing more.
func TestWarmFetchesBeforeTheFirstToken(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	v, keys := newValidatorWithKeys(t, idp, nil)
	if got := idp.Fetches.Load(); got != 0 {
		t.Fatalf("got %d fetches before Warm, want 0 (the cold start must not wait)", got)
	}
	if err := keys.Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("got %d fetches after Warm, want 1", got)
	}
	if _, err := v.Validate(context.Background(), idp.Token(t, idp.Claims())); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("got %d fetches after the first token, want still 1", got)
	}
}

// TestRemoteKeysFirstUse: the key cache is built at its first use, once,
// however many first requests race for it, and fetches the set once.
func TestRemoteKeysFirstUse(t *testing.T) {
	t.Parallel()
	idp := entratest.New(t)
	v, keys := newValidatorWithKeys(t, idp, nil)
	const n = 16
	tokens := make([]string, n)
	for i := range tokens {
		c := idp.Claims()
		c["oid"] = uuid.NewString()
		tokens[i] = idp.Token(t, c)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, tok := range tokens {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := v.Validate(context.Background(), tok)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			errs <- keys.Warm(context.Background())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("got %v, want nil", err)
		}
	}
	if got := idp.Fetches.Load(); got != 1 {
		t.Errorf("got %d key fetches, want 1", got)
	}
}

func TestRemoteKeysURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "keys", "ftp://login.example/keys", "https:///keys", "http://%zz/keys"} {
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			if _, err := entra.NewRemoteKeys(t.Context(), u); err == nil {
				t.Errorf("NewRemoteKeys(%q): got nil error, want the URL refused", u)
			}
		})
	}
}

func TestWarmUnreachable(t *testing.T) {
	t.Parallel()
	keys, err := entra.NewRemoteKeys(t.Context(), "http://127.0.0.1:1/keys")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := keys.Warm(ctx); teamspro.ErrorCode(err) != teamspro.EUNAVAILABLE {
		t.Errorf("got %v, want unavailable", err)
	}
}
