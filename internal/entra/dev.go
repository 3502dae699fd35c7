package entra

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// The dev issuer's fixed names. They differ from every Entra ID issuer and
// audience, so a dev token can never pass as an Entra ID token, and the handler
// accepts dev tokens only when dev sign-in is switched on.
const (
	DevIssuerName = "urn:teamspro:dev-signin"
	DevAudience   = "api://teamspro-dev"
)

// DevIssuer signs and verifies dev tokens with a local ES256 key kept in a file,
// so that `handler devtoken` and a running handler share it.
type DevIssuer struct {
	key jwk.Key // private
	pub jwk.Key
}

// LoadDevIssuer reads the key file, creating it (mode 0600) when it is missing.
func LoadDevIssuer(path string) (*DevIssuer, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createDevKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("dev sign-in key: %w", err)
	}
	key, err := jwk.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("dev sign-in key %s: %w", path, err)
	}
	return newDevIssuer(key)
}

func createDevKey(path string) (*DevIssuer, error) {
	raw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, err
	}
	_ = key.Set(jwk.KeyIDKey, fmt.Sprintf("dev-%d", time.Now().Unix()))
	_ = key.Set(jwk.AlgorithmKey, jwa.ES256)
	b, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("dev sign-in key: %w", err)
	}
	// O_EXCL: when two processes create the key at once, one wins and the
	// other reads the winner's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadDevIssuer(path)
	}
	if err != nil {
		return nil, fmt.Errorf("dev sign-in key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return newDevIssuer(key)
}

func newDevIssuer(key jwk.Key) (*DevIssuer, error) {
	if key.KeyType() != "EC" {
		return nil, errors.New("dev sign-in key must be an EC private key")
	}
	pub, err := key.PublicKey()
	if err != nil {
		return nil, err
	}
	return &DevIssuer{key: key, pub: pub}, nil
}

// Key returns the public key when kid is the dev key's.
func (d *DevIssuer) Key(_ context.Context, kid string) (jwk.Key, error) {
	if kid != d.pub.KeyID() {
		return nil, unauthorized("unknown dev kid %q", kid)
	}
	return d.pub, nil
}

// DevClaims are the claims of a dev token.
type DevClaims struct {
	TenantID string
	ObjectID string
	Name     string
	UPN      string
	Admin    bool   // adds the admin app role
	Role     string // the admin app role's name
	Scope    string
	TTL      time.Duration
}

// Mint signs a dev token shaped like an Entra ID v2 access token.
func (d *DevIssuer) Mint(c DevClaims, now time.Time) (string, error) {
	if c.TTL <= 0 {
		c.TTL = 12 * time.Hour
	}
	b := jwt.NewBuilder().
		Issuer(DevIssuerName).
		Audience([]string{DevAudience}).
		IssuedAt(now).
		NotBefore(now).
		Expiration(now.Add(c.TTL)).
		Claim("tid", c.TenantID).
		Claim("oid", c.ObjectID).
		Claim("scp", c.Scope).
		Claim("ver", "2.0")
	if c.Name != "" {
		b = b.Claim("name", c.Name)
	}
	if c.UPN != "" {
		b = b.Claim("preferred_username", c.UPN)
	}
	if c.Admin {
		b = b.Claim("roles", []string{c.Role})
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256, d.key))
	return string(signed), err
}
