package safehttp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/teamspro/functions/internal/safehttp"
)

// names is a resolver answering from a map, so a test can make any name
// resolve to any address without touching the machine's DNS.
type names map[string][]netip.Addr

func (n names) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := n[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, x := range s {
		out = append(out, netip.MustParseAddr(x))
	}
	return out
}

// loopbackOnly admits the test server's own address (127.0.0.1) and nothing
// else of the loopback network: 127.0.0.2 stays refused.
var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func reasonOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *safehttp.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T %v, want a *safehttp.Error", err, err)
	}
	return e.Reason
}

// TestRefusals proves every refusal of the fetcher, each on the request
// that should meet it.
func TestRefusals(t *testing.T) {
	t.Parallel()
	const body = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://192.168.1.10/cal.ics", http.StatusFound)
	})
	mux.HandleFunc("/to-private-name", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmt.Sprintf("https://intranet.test:%d/cal.ics", port), http.StatusFound)
	})
	mux.HandleFunc("/to-metadata", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// Chunked, no Content-Length: the limit must hold while reading.
		for i := 0; i < 10; i++ {
			fmt.Fprint(w, strings.Repeat("x", 200))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/big-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		fmt.Fprint(w, strings.Repeat("x", 5000))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BEGIN:VCALENDAR\r\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/missing", http.NotFound)

	local := srv.URL // http://127.0.0.1:port
	resolver := names{
		"localhost.test": addrs("127.0.0.2"),
		"intranet.test":  addrs("10.1.2.3"),
		"mixed.test":     addrs("127.0.0.2", "::1"),
		"metadata.test":  addrs("169.254.169.254"),
	}
	base := safehttp.Config{MaxBytes: 1000, Timeout: 500 * time.Millisecond, MaxRedirects: 2, Resolver: resolver, AllowNetworks: loopbackOnly}
	prod := base
	prod.AllowNetworks = nil

	tests := []struct {
		name string
		cfg  safehttp.Config
		url  string
		want string
	}{
		{"the admitted test server", base, local + "/ok", ""},
		{"http to the internet", base, "http://example.com/cal.ics", safehttp.ReasonScheme},
		{"ftp", base, "ftp://example.com/cal.ics", safehttp.ReasonScheme},
		{"file", base, "file:///etc/passwd", safehttp.ReasonURL},
		{"credentials in the URL", base, "https://user:pw@example.com/cal.ics", safehttp.ReasonCredentials},
		{"the test server without the test setting", prod, local + "/ok", safehttp.ReasonAddress},
		{"127.0.0.1 over https", prod, "https://127.0.0.1/cal.ics", safehttp.ReasonAddress},
		{"127.0.0.2, outside the admitted /32", base, "https://127.0.0.2/cal.ics", safehttp.ReasonAddress},
		{"::1", base, "https://[::1]/cal.ics", safehttp.ReasonAddress},
		{"IPv4-mapped loopback", base, "https://[::ffff:127.0.0.2]/cal.ics", safehttp.ReasonAddress},
		{"10/8", base, "https://10.0.0.1/cal.ics", safehttp.ReasonAddress},
		{"172.16/12", base, "https://172.20.1.1/cal.ics", safehttp.ReasonAddress},
		{"192.168/16", base, "https://192.168.0.1/cal.ics", safehttp.ReasonAddress},
		{"CGNAT 100.64/10", base, "https://100.64.0.1/cal.ics", safehttp.ReasonAddress},
		{"link-local", base, "https://169.254.1.1/cal.ics", safehttp.ReasonAddress},
		{"metadata 169.254.169.254", base, "https://169.254.169.254/latest/meta-data/", safehttp.ReasonAddress},
		{"metadata fd00:ec2::254", base, "https://[fd00:ec2::254]/", safehttp.ReasonAddress},
		{"ULA fc00::/7", base, "https://[fd12:3456::1]/", safehttp.ReasonAddress},
		{"IPv6 link-local", base, "https://[fe80::1]/", safehttp.ReasonAddress},
		{"multicast", base, "https://224.0.0.1/", safehttp.ReasonAddress},
		{"unspecified", base, "https://0.0.0.0/", safehttp.ReasonAddress},
		{"a name resolving to loopback", base, "https://localhost.test/cal.ics", safehttp.ReasonAddress},
		{"a name resolving to two refused addresses", base, "https://mixed.test/cal.ics", safehttp.ReasonAddress},
		{"a name resolving to the metadata endpoint", base, "https://metadata.test/", safehttp.ReasonAddress},
		{"a redirect to a private address", base, local + "/to-private", safehttp.ReasonAddress},
		{"a redirect to a name resolving to a private address", base, local + "/to-private-name", safehttp.ReasonAddress},
		{"a redirect to the metadata endpoint", base, local + "/to-metadata", safehttp.ReasonAddress},
		{"too many redirects", base, local + "/loop", safehttp.ReasonRedirects},
		{"too large, chunked", base, local + "/big", safehttp.ReasonTooLarge},
		{"too large, declared", base, local + "/big-declared", safehttp.ReasonTooLarge},
		{"too slow to answer", base, local + "/slow", safehttp.ReasonTimeout},
		{"too slow to finish the body", base, local + "/slow-body", safehttp.ReasonTimeout},
		{"not found", base, local + "/missing", safehttp.ReasonStatus},
		{"unknown name", base, "https://nowhere.test/", safehttp.ReasonNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := safehttp.New(tt.cfg).Fetch(context.Background(), tt.url)
			if got := reasonOf(t, err); got != tt.want {
				t.Fatalf("got reason %q (%v), want %q", got, err, tt.want)
			}
			if tt.want == "" && string(b) != body {
				t.Errorf("got body %q, want %q", b, body)
			}
		})
	}
}

// TestNothingOfTheServerTravels: a cookie set by the first answer is not sent
// on the redirect, and no credential header is ever sent.
func TestNothingOfTheServerTravels(t *testing.T) {
	t.Parallel()
	var got http.Header
	mux := http.NewServeMux()
	mux.HandleFunc("/first", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "secret", Path: "/"})
		http.Redirect(w, r, "/second", http.StatusFound)
	})
	mux.HandleFunc("/second", func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		fmt.Fprint(w, "ok")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := safehttp.New(safehttp.Config{AllowNetworks: loopbackOnly})
	if _, err := f.Fetch(context.Background(), srv.URL+"/first"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Cookie", "Authorization", "Proxy-Authorization"} {
		if v := got.Get(h); v != "" {
			t.Errorf("got %s %q on the redirect, want none", h, v)
		}
	}
}

// TestRefusedRanges checks the address predicate on both sides of each
// boundary.
func TestRefusedRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr    string
		refused bool
	}{
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"2606:4700:4700::1111", false},
		{"9.255.255.255", false},
		{"10.0.0.0", true},
		{"11.0.0.0", false},
		{"100.63.255.255", false},
		{"100.64.0.0", true},
		{"100.127.255.255", true},
		{"100.128.0.0", false},
		{"172.15.255.255", false},
		{"172.16.0.0", true},
		{"172.32.0.0", false},
		{"192.167.255.255", false},
		{"192.168.255.255", true},
		{"127.255.255.255", true},
		{"255.255.255.255", true},
		{"::", true},
		{"::ffff:10.0.0.1", true},
		{"64:ff9b::a00:1", true},
		{"2002:a00:1::", true},
		{"ff02::1", true},
		{"168.63.129.16", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			why := safehttp.Refused(netip.MustParseAddr(tt.addr))
			if got := why != ""; got != tt.refused {
				t.Errorf("got refused %v (%q), want %v", got, why, tt.refused)
			}
		})
	}
}
