// Package entratest plays Entra ID in tests: it holds RSA and EC signing keys,
// serves them as a JWKS over HTTP, and mints real signed tokens with any claims,
// so that tests exercise the production validation path end to end.
package entratest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// IDP is a fake identity provider with real keys.
type IDP struct {
	RSA      jwk.Key // private, kid "rsa-1"
	EC       jwk.Key // private, kid "ec-1"
	Unlisted jwk.Key // private, kid "rsa-unlisted": valid but not in the JWKS
	Server   *httptest.Server
	ClientID string
	TenantID string
	Fetches  atomic.Int64
}

// New starts an IDP whose JWKS is at IDP.JWKSURL().
func New(t testing.TB) *IDP {
	t.Helper()
	idp := &IDP{ClientID: uuid.NewString(), TenantID: uuid.NewString()}
	idp.RSA = rsaKey(t, "rsa-1")
	idp.Unlisted = rsaKey(t, "rsa-unlisted")
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	idp.EC, _ = jwk.FromRaw(ec)
	_ = idp.EC.Set(jwk.KeyIDKey, "ec-1")

	set := jwk.NewSet()
	for _, k := range []jwk.Key{idp.RSA, idp.EC} {
		pub, _ := k.PublicKey()
		_ = set.AddKey(pub) // like Entra ID: no "alg" on the keys
	}
	body, _ := json.Marshal(set)
	idp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idp.Fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(idp.Server.Close)
	return idp
}

func rsaKey(t testing.TB, kid string) jwk.Key {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := jwk.FromRaw(raw)
	_ = k.Set(jwk.KeyIDKey, kid)
	return k
}

// JWKSURL is where the IDP serves its public keys.
func (p *IDP) JWKSURL() string { return p.Server.URL + "/discovery/v2.0/keys" }

// Claims returns valid v2 access-token claims for a new user of the IDP's tenant.
func (p *IDP) Claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":                "https://login.microsoftonline.com/" + p.TenantID + "/v2.0",
		"aud":                p.ClientID,
		"tid":                p.TenantID,
		"oid":                uuid.NewString(),
		"scp":                "access_as_user",
		"ver":                "2.0",
		"name":               "Ada Lovelace",
		"preferred_username": "ada@contoso.example",
		"azp":                "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
		"iat":                now.Add(-time.Minute).Unix(),
		"nbf":                now.Add(-time.Minute).Unix(),
		"exp":                now.Add(time.Hour).Unix(),
	}
}

// Sign signs claims with key and alg, putting kid in the header.
func (p *IDP) Sign(t testing.TB, claims map[string]any, alg jwa.SignatureAlgorithm, key any, kid string) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			t.Fatalf("set %s: %v", k, err)
		}
	}
	hdr := jws.NewHeaders()
	if kid != "" {
		_ = hdr.Set(jws.KeyIDKey, kid)
	} else if k, ok := key.(jwk.Key); ok {
		// jwx copies a key's kid into the header: sign with a copy without one.
		c, err := k.Clone()
		if err != nil {
			t.Fatal(err)
		}
		_ = c.Remove(jwk.KeyIDKey)
		key = c
	}
	b, err := jwt.Sign(tok, jwt.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return string(b)
}

// Token signs claims with the IDP's RSA key (RS256), as Entra ID does.
func (p *IDP) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return p.Sign(t, claims, jwa.RS256, p.RSA, "rsa-1")
}
