// Package entra validates the Entra ID access tokens that the Teams tab sends
// (Teams SSO), with lestrrat-go/jwx. It also holds the dev issuer: a local key
// that signs tokens for running without Entra ID, switched on explicitly.
//
// Every check is here, in one code path, for real and dev tokens alike: the
// signature with a key found by kid (asymmetric algorithms only), the time
// window with bounded skew, the issuer against the token's own tid, the
// audience, the tenant allow-list and the API scope.
package entra

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/teamspro/functions/internal/teamspro"
)

// Config says which tokens to accept.
type Config struct {
	ClientID       string   // the API's application (client) id: v2 audience
	AppIDURI       string   // api://<host>/<clientId>: v1 audience
	TenantID       string   // the deploying tenant, always allowed
	AllowedTenants []string // more tenants; "*" allows any
	Scope          string   // required in scp, e.g. access_as_user
	AdminRole      string   // app role that makes a tenant admin
	AdminObjectIDs []string // object ids that are tenant admins whatever their roles
	ClockSkew      time.Duration
	Now            func() time.Time
}

// KeySource finds a verification key by kid.
type KeySource interface {
	// Key returns the key with that kid, refreshing a remote set at most once
	// per interval when the kid is unknown (keys rotate); an error otherwise.
	Key(ctx context.Context, kid string) (jwk.Key, error)
}

// Issuer is one kind of token the validator accepts.
type issuer struct {
	keys  KeySource
	match func(iss, tid string) bool
	dev   bool
}

// Validator checks bearer tokens and returns the principal they stand for.
type Validator struct {
	cfg     Config
	issuers []issuer

	// seen caches the principals of tokens that passed every check, keyed by
	// the token's SHA-256, until the token expires: a tab sends the same token
	// for up to an hour, and verifying its signature on every request was the
	// largest cost of a cheap request. Bounded: emptied when full.
	mu   sync.Mutex
	seen map[[32]byte]seenToken
}

type seenToken struct {
	p   teamspro.Principal
	exp time.Time
}

// maxSeen bounds the token cache (a few MB at most).
const maxSeen = 10000

// allowedAlgs are the asymmetric algorithms Entra ID uses or may use. HMAC and
// "none" are refused: with an HMAC algorithm, a public key could be misused as
// the shared secret.
var allowedAlgs = []jwa.SignatureAlgorithm{jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512, jwa.ES256, jwa.ES384, jwa.ES512}

// NewValidator returns a validator for Entra ID tokens whose keys come from
// entraKeys, and, when dev is not nil, for dev tokens signed by its key.
func NewValidator(cfg Config, entraKeys KeySource, dev *DevIssuer) (*Validator, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Scope == "" {
		return nil, errors.New("entra: a scope is required")
	}
	v := &Validator{cfg: cfg, seen: map[[32]byte]seenToken{}}
	if entraKeys != nil {
		if cfg.ClientID == "" || cfg.TenantID == "" {
			return nil, errors.New("entra: client id and tenant id are required")
		}
		v.issuers = append(v.issuers, issuer{keys: entraKeys, match: entraIssuer})
	}
	if dev != nil {
		v.issuers = append(v.issuers, issuer{keys: dev, match: func(iss, _ string) bool { return iss == DevIssuerName }, dev: true})
	}
	if len(v.issuers) == 0 {
		return nil, errors.New("entra: no issuer configured")
	}
	return v, nil
}

// entraIssuer reports whether iss is the v1 or v2 issuer of tenant tid.
func entraIssuer(iss, tid string) bool {
	return iss == "https://login.microsoftonline.com/"+tid+"/v2.0" || iss == "https://sts.windows.net/"+tid+"/"
}

func unauthorized(reason string, args ...any) error {
	return teamspro.Wrap(teamspro.EUNAUTHORIZED, fmt.Errorf(reason, args...), "The access token is not valid.")
}

// Validate checks a compact JWS token. It returns EUNAUTHORIZED for a token that
// is not valid and EFORBIDDEN for a valid token that may not use this API
// (tenant not allowed, scope missing). The reason is in the error's cause.
func (v *Validator) Validate(ctx context.Context, token string) (teamspro.Principal, error) {
	if len(token) > 16<<10 {
		return teamspro.Principal{}, unauthorized("token longer than 16 KiB")
	}
	sum := sha256.Sum256([]byte(token))
	v.mu.Lock()
	hit, ok := v.seen[sum]
	v.mu.Unlock()
	if ok {
		if v.cfg.Now().Before(hit.exp.Add(v.cfg.ClockSkew)) {
			return hit.p, nil
		}
		v.mu.Lock()
		delete(v.seen, sum)
		v.mu.Unlock()
		return teamspro.Principal{}, unauthorized("expired")
	}
	p, exp, err := v.validate(ctx, token)
	if err != nil {
		return teamspro.Principal{}, err
	}
	v.mu.Lock()
	if len(v.seen) >= maxSeen {
		clear(v.seen)
	}
	v.seen[sum] = seenToken{p: p, exp: exp}
	v.mu.Unlock()
	return p, nil
}

// validate runs every check on a token not seen before.
func (v *Validator) validate(ctx context.Context, token string) (teamspro.Principal, time.Time, error) {
	fail := func(err error) (teamspro.Principal, time.Time, error) { return teamspro.Principal{}, time.Time{}, err }
	msg, err := jws.Parse([]byte(token))
	if err != nil {
		return fail(unauthorized("malformed: %v", err))
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return fail(unauthorized("%d signatures", len(sigs)))
	}
	h := sigs[0].ProtectedHeaders()
	alg := h.Algorithm()
	if !slices.Contains(allowedAlgs, alg) {
		return fail(unauthorized("algorithm %q refused", alg))
	}
	kid := h.KeyID()
	if kid == "" {
		return fail(unauthorized("no kid"))
	}
	// Read the unverified claims only to choose the issuer; nothing is trusted
	// before the signature is checked below with that issuer's key.
	pre, err := jwt.Parse(msg.Payload(), jwt.WithVerify(false), jwt.WithValidate(false))
	if err != nil {
		return fail(unauthorized("claims: %v", err))
	}
	tid, _ := claimString(pre, "tid")
	var iss *issuer
	for i := range v.issuers {
		if v.issuers[i].match(pre.Issuer(), tid) {
			iss = &v.issuers[i]
			break
		}
	}
	if iss == nil {
		return fail(unauthorized("issuer %q does not match tenant %q", pre.Issuer(), tid))
	}
	key, err := iss.keys.Key(ctx, kid)
	if err != nil {
		return fail(err)
	}
	if err := keyFitsAlg(key, alg); err != nil {
		return fail(err)
	}
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKey(alg, key),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(v.cfg.Now)),
		jwt.WithAcceptableSkew(v.cfg.ClockSkew),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("iat"),
	)
	if err != nil {
		return fail(unauthorized("verify: %v", err))
	}
	p, err := v.principal(tok, iss.dev)
	return p, tok.Expiration(), err
}

// keyFitsAlg refuses a key whose type or declared algorithm differs from the
// token's header.
func keyFitsAlg(key jwk.Key, alg jwa.SignatureAlgorithm) error {
	kty := key.KeyType()
	name := alg.String()
	ok := (kty == "RSA" && (strings.HasPrefix(name, "RS") || strings.HasPrefix(name, "PS"))) ||
		(kty == "EC" && strings.HasPrefix(name, "ES"))
	if !ok {
		return unauthorized("key type %s cannot verify %s", kty, alg)
	}
	if ka := key.Algorithm().String(); ka != "" && ka != name {
		return unauthorized("key is for %s, token says %s", ka, alg)
	}
	return nil
}

func (v *Validator) principal(tok jwt.Token, dev bool) (teamspro.Principal, error) {
	tid, _ := claimString(tok, "tid")
	oid, _ := claimString(tok, "oid")
	if !teamspro.IsGUID(tid) || !teamspro.IsGUID(oid) {
		return teamspro.Principal{}, unauthorized("tid and oid must be GUIDs")
	}
	tid, oid = teamspro.NormalizeGUID(tid), teamspro.NormalizeGUID(oid)
	aud := tok.Audience()
	if !slices.ContainsFunc(aud, v.audienceOK(dev)) {
		return teamspro.Principal{}, unauthorized("audience %v", aud)
	}
	if ver, ok := claimString(tok, "ver"); ok && !dev {
		v2 := strings.HasSuffix(tok.Issuer(), "/v2.0")
		if (ver == "2.0") != v2 {
			return teamspro.Principal{}, unauthorized("version %q does not match issuer", ver)
		}
	}
	if !dev && !v.tenantAllowed(tid) {
		return teamspro.Principal{}, teamspro.Wrap(teamspro.EFORBIDDEN, fmt.Errorf("tenant %s not allowed", tid), "Your organization is not allowed to use this deployment.")
	}
	scp, _ := claimString(tok, "scp")
	if !slices.Contains(strings.Fields(scp), v.cfg.Scope) {
		return teamspro.Principal{}, teamspro.Wrap(teamspro.EFORBIDDEN, fmt.Errorf("scope %q lacks %q", scp, v.cfg.Scope), "The access token lacks the %s scope.", v.cfg.Scope)
	}
	p := teamspro.Principal{TenantID: tid, ObjectID: oid}
	p.Name, _ = claimString(tok, "name")
	if p.UPN, _ = claimString(tok, "preferred_username"); p.UPN == "" {
		if p.UPN, _ = claimString(tok, "upn"); p.UPN == "" {
			p.UPN, _ = claimString(tok, "unique_name")
		}
	}
	if raw, ok := tok.Get("roles"); ok {
		if list, ok := raw.([]any); ok {
			for _, r := range list {
				if s, ok := r.(string); ok {
					p.Roles = append(p.Roles, s)
				}
			}
		}
	}
	p.Admin = (v.cfg.AdminRole != "" && slices.Contains(p.Roles, v.cfg.AdminRole)) ||
		slices.ContainsFunc(v.cfg.AdminObjectIDs, func(s string) bool { return strings.EqualFold(s, oid) })
	return p, nil
}

func (v *Validator) audienceOK(dev bool) func(string) bool {
	return func(a string) bool {
		if dev {
			return a == DevAudience
		}
		return a == v.cfg.ClientID || (v.cfg.AppIDURI != "" && a == v.cfg.AppIDURI)
	}
}

func (v *Validator) tenantAllowed(tid string) bool {
	if strings.EqualFold(tid, v.cfg.TenantID) {
		return true
	}
	for _, t := range v.cfg.AllowedTenants {
		if t == "*" || strings.EqualFold(t, tid) {
			return true
		}
	}
	return false
}

func claimString(tok jwt.Token, name string) (string, bool) {
	raw, ok := tok.Get(name)
	if !ok {
		return "", false
	}
	s, ok := raw.(string)
	return s, ok
}

// RemoteKeys is the Entra ID signing key set, fetched from its JWKS URL, cached
// and refreshed by jwk.Cache. An unknown kid forces one refresh at most every
// minRefresh, so a token with a random kid cannot make us hammer Entra ID.
type RemoteKeys struct {
	url string
	// cache builds the jwk.Cache at its first use (Warm or the first token):
	// its fetch workers and refresh queue are goroutines and code the cold
	// start does not need. Its build depends only on the URL and options
	// checked by NewRemoteKeys, so a failure would fail every time and is
	// kept rather than retried.
	cache      func() (*jwk.Cache, error)
	minRefresh time.Duration

	mu          sync.Mutex
	lastRefresh time.Time
}

// NewRemoteKeys checks url and prepares a cache living as long as ctx. It
// neither builds the cache nor fetches, so the cold start does not wait on
// Entra ID: Warm fetches in the background, or else the first token does.
// Returns an error when url is not an absolute http(s) URL.
func NewRemoteKeys(ctx context.Context, rawURL string, opts ...jwk.RegisterOption) (*RemoteKeys, error) {
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("entra: the key set URL %q is not an absolute http(s) URL", rawURL)
	}
	opts = append([]jwk.RegisterOption{jwk.WithMinRefreshInterval(15 * time.Minute)}, opts...)
	build := func() (*jwk.Cache, error) {
		c := jwk.NewCache(ctx)
		if err := c.Register(rawURL, opts...); err != nil {
			return nil, teamspro.Wrap(teamspro.EINTERNAL, err, "The sign-in key set %s cannot be registered.", rawURL)
		}
		return c, nil
	}
	return &RemoteKeys{url: rawURL, cache: sync.OnceValues(build), minRefresh: time.Minute}, nil
}

// Warm fetches the key set if it has not been fetched yet. The handler calls
// it in the background at start, so that the first signed-in request after a
// cold start does not wait for Entra ID.
func (r *RemoteKeys) Warm(ctx context.Context) error {
	_, err := r.set(ctx)
	return err
}

// set returns the cached key set, building the cache and fetching as needed.
func (r *RemoteKeys) set(ctx context.Context) (jwk.Set, error) {
	c, err := r.cache()
	if err != nil {
		return nil, err
	}
	set, err := c.Get(ctx, r.url)
	if err != nil {
		return nil, teamspro.Wrap(teamspro.EUNAVAILABLE, err, "The sign-in keys cannot be fetched; try again.")
	}
	return set, nil
}

// Key returns the key with that kid.
func (r *RemoteKeys) Key(ctx context.Context, kid string) (jwk.Key, error) {
	set, err := r.set(ctx)
	if err != nil {
		return nil, err
	}
	if k, ok := set.LookupKeyID(kid); ok {
		return k, nil
	}
	r.mu.Lock()
	refresh := time.Since(r.lastRefresh) >= r.minRefresh
	if refresh {
		r.lastRefresh = time.Now()
	}
	r.mu.Unlock()
	if refresh {
		c, _ := r.cache() // built by r.set above
		if set, err = c.Refresh(ctx, r.url); err == nil {
			if k, ok := set.LookupKeyID(kid); ok {
				return k, nil
			}
		}
	}
	return nil, unauthorized("unknown kid %q", kid)
}
