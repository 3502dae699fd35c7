// Package safehttp fetches a document from a URL that a user gave, without
// letting that user reach what only the server can reach (SSRF): the
// loopback interface, the private networks the function app is peered with,
// the cloud's metadata endpoints.
//
// The check is made on the address actually dialled (a net.Dialer Control
// hook), after name resolution, so a name that resolves to a public address
// when it is checked and to a private one when it is used (DNS rebinding)
// still fails; every redirect dials again and is checked again. The URL's
// scheme, credentials and redirect count are checked before each request.
// Responses are bounded in size and the whole fetch in time. No cookie,
// credential or proxy is ever used: a fetch carries nothing of the server.
//
// The package knows nothing of calendars; it fetches bytes.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Reasons a fetch is refused or fails. They are stable: callers show them,
// and the API reports them as the reason of a problem.
const (
	ReasonScheme      = "scheme_not_allowed"  // not https (or http where allowed)
	ReasonCredentials = "credentials_in_url"  // user:password@ in the URL
	ReasonAddress     = "address_not_allowed" // a refused destination address
	ReasonRedirects   = "too_many_redirects"
	ReasonTooLarge    = "too_large"
	ReasonTimeout     = "timeout"
	ReasonStatus      = "bad_status"  // a non-2xx answer
	ReasonNetwork     = "unreachable" // DNS, connection, TLS
	ReasonURL         = "invalid_url"
)

// Error is a refused or failed fetch.
type Error struct {
	Reason string
	Detail string // what the owner of the URL can act on
	Status int    // the answer's status, for ReasonStatus
	err    error
}

func (e *Error) Error() string { return e.Reason + ": " + e.Detail }

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.err }

// Config bounds a Fetcher. The zero value of every limit takes its default.
type Config struct {
	// MaxBytes bounds the response body (default 2 MiB).
	MaxBytes int64
	// Timeout bounds the whole fetch, redirects and body included (default 15 s).
	Timeout time.Duration
	// MaxRedirects bounds the redirects followed (default 3).
	MaxRedirects int
	// Resolver resolves host names (default net.DefaultResolver). Whatever
	// it answers, the address dialled is checked.
	Resolver Resolver
	// AllowNetworks admits these networks although they are refused by
	// default, and plain http to them. FOR TESTS ONLY: it lets a test serve
	// documents from a local server. Production configuration never sets it.
	AllowNetworks []netip.Prefix
	// UserAgent is sent with every request.
	UserAgent string
}

// Resolver is the part of net.Resolver a Fetcher uses.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Fetcher fetches documents under the limits of its Config.
type Fetcher struct {
	cfg    Config
	client *http.Client
}

// New returns a Fetcher.
func New(cfg Config) *Fetcher {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 2 << 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = 3
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "TeamsPro-Calendar/1"
	}
	f := &Fetcher{cfg: cfg}
	dialer := &net.Dialer{Timeout: cfg.Timeout, ControlContext: f.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would be the address checked, not the destination
		DialContext:           f.dial(dialer),
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		// Every request dials, so every redirect's destination is checked
		// on the address it connects to, never on a connection kept open.
		DisableKeepAlives:      true,
		DisableCompression:     false,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f.client = &http.Client{
		Transport: tr,
		Jar:       nil,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return &Error{Reason: ReasonRedirects, Detail: fmt.Sprintf("more than %d redirects", cfg.MaxRedirects)}
			}
			if err := f.checkURL(req.URL); err != nil {
				return err
			}
			// Nothing of the first request travels on: no header of ours
			// carries a credential, but say so where it is decided.
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
			return nil
		},
	}
	return f
}

// Check reports what can be known of rawURL before fetching it: an *Error
// for a refused scheme, credentials or literal address, nil otherwise. A
// name is only checked when it is dialled, by Fetch.
func (f *Fetcher) Check(rawURL string) error {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" {
		return &Error{Reason: ReasonURL, Detail: "not an absolute URL"}
	}
	return f.checkURL(u)
}

// Fetch returns the body of a GET of rawURL, or an *Error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	if err := f.Check(rawURL); err != nil {
		return nil, err
	}
	u, _ := url.Parse(strings.TrimSpace(rawURL))
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{Reason: ReasonURL, Detail: "not a valid URL", err: err}
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.classify(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &Error{Reason: ReasonStatus, Status: resp.StatusCode, Detail: fmt.Sprintf("the server answered %s", resp.Status)}
	}
	if resp.ContentLength > f.cfg.MaxBytes {
		return nil, tooLarge(f.cfg.MaxBytes)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.MaxBytes+1))
	if err != nil {
		return nil, f.classify(ctx, err)
	}
	if int64(len(b)) > f.cfg.MaxBytes {
		return nil, tooLarge(f.cfg.MaxBytes)
	}
	return b, nil
}

func tooLarge(n int64) error {
	return &Error{Reason: ReasonTooLarge, Detail: fmt.Sprintf("larger than %d bytes", n)}
}

// classify turns a transport error into an *Error, keeping a refusal made
// by the dialer or CheckRedirect as it is.
func (f *Fetcher) classify(ctx context.Context, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Reason: ReasonTimeout, Detail: fmt.Sprintf("no complete answer within %s", f.cfg.Timeout), err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Reason: ReasonTimeout, Detail: fmt.Sprintf("no complete answer within %s", f.cfg.Timeout), err: err}
	}
	return &Error{Reason: ReasonNetwork, Detail: "the server could not be reached", err: err}
}

// checkURL checks what can be checked before dialling: the scheme, no
// credentials, and a literal address in the host.
func (f *Fetcher) checkURL(u *url.URL) error {
	if u.User != nil {
		return &Error{Reason: ReasonCredentials, Detail: "the URL carries a user name or password"}
	}
	host := u.Hostname()
	if host == "" {
		return &Error{Reason: ReasonURL, Detail: "the URL has no host"}
	}
	a, literal := netip.ParseAddr(host)
	if literal == nil {
		if err := f.checkAddr(a); err != nil {
			return err
		}
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		// Plain http only to a network a test admitted.
		if literal == nil && f.admitted(a) {
			return nil
		}
	}
	return &Error{Reason: ReasonScheme, Detail: "only https URLs are fetched"}
}

// dial resolves the host with the configured resolver and dials its
// addresses in turn; the dialer's Control hook checks each one.
func (f *Fetcher) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else {
			addrs, err = f.cfg.Resolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, &Error{Reason: ReasonNetwork, Detail: "the host name could not be resolved", err: err}
			}
		}
		var first error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
		}
		if first == nil {
			first = &Error{Reason: ReasonNetwork, Detail: "the host name has no address"}
		}
		return nil, first
	}
}

// control is the dialer's last word: it sees the address the socket is
// about to connect to, whatever name or redirect led there.
func (f *Fetcher) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Reason: ReasonAddress, Detail: "an unparsable address", err: err}
	}
	return f.checkAddr(ap.Addr())
}

func (f *Fetcher) admitted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range f.cfg.AllowNetworks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// checkAddr refuses every address that is not a public unicast address,
// unless a test admitted its network.
func (f *Fetcher) checkAddr(a netip.Addr) error {
	a = a.Unmap()
	if f.admitted(a) {
		return nil
	}
	if why := Refused(a); why != "" {
		return &Error{Reason: ReasonAddress, Detail: "the address " + a.String() + " is " + why}
	}
	return nil
}

// refusedNets are the networks no fetch may reach, beyond what netip's
// predicates name: CGNAT, the IPv4 "this network", benchmarking and
// reserved ranges, the metadata endpoints, NAT64 and 6to4/Teredo, which
// can embed a refused IPv4 address.
var refusedNets = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "in 0.0.0.0/8 (this network)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved for protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved for benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("168.63.129.16/32"), "the Azure platform endpoint"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "a cloud metadata endpoint"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
}

// Refused returns why a fetch may not connect to a, or "" when it may.
func Refused(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a == netip.MustParseAddr("169.254.169.254"):
		return "a cloud metadata endpoint"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	case a.IsPrivate():
		return "private"
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, n := range refusedNets {
		if n.p.Contains(a) {
			return n.why
		}
	}
	if a.Is6() && !a.Is4In6() && !netip.MustParsePrefix("2000::/3").Contains(a) {
		return "not global unicast"
	}
	return ""
}
