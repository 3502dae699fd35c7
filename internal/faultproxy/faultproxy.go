// Package faultproxy is a reverse proxy for tests that stands between a
// storage client and a real storage endpoint (Azurite) and breaks it on
// demand: it lets a given number of requests through, then fails every
// request the way storage and networks fail, until it is healed. Tests use it
// to stop storage after each call of an operation in turn.
package faultproxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// Mode is how the proxy fails a request.
type Mode int

const (
	// Reset drops the connection without forwarding the request.
	Reset Mode = iota
	// Unavailable answers 503 ServerBusy without forwarding the request.
	Unavailable
	// Timeout forwards the request (storage applies it) and does not
	// answer: after Hold, or when the client gives up first, the connection
	// is dropped. The client cannot know whether the request was applied.
	Timeout
)

func (m Mode) String() string {
	return [...]string{"reset", "503", "timeout"}[m]
}

// Proxy forwards to a storage endpoint until told to fail.
type Proxy struct {
	// Hold is how long a Timeout keeps the client waiting (default 500 ms);
	// set it before use.
	Hold time.Duration

	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu      sync.Mutex
	allowed int // requests still let through; < 0: all
	mode    Mode
	passed  int
	failed  int
	hook    func()
	hookAt  int
}

// New starts a proxy in front of target (scheme://host:port) on a free
// local port; it lets everything through until FailAfter.
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{allowed: -1, Hold: 500 * time.Millisecond}
	p.proxy = httputil.NewSingleHostReverseProxy(u)
	p.proxy.ErrorLog = nil
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	return p, nil
}

// URL is the proxy's base URL (scheme://127.0.0.1:port).
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// FailAfter lets k more requests through, then fails every request with m.
func (p *Proxy) FailAfter(k int, m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowed, p.mode = k, m
}

// OnRequest runs fn once, when the k-th next request arrives (0: the next
// one) and before it goes on: a test's way of making something happen
// between two storage calls of an operation, such as a concurrent change.
// The request waits for fn; fn must not use the proxy.
func (p *Proxy) OnRequest(k int, fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook, p.hookAt = fn, k
}

// Heal lets every request through again: storage is back.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowed = -1
}

// Passed returns how many requests were forwarded, and resets the count.
func (p *Proxy) Passed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.passed
	p.passed = 0
	return n
}

// Failed returns how many requests were failed so far.
func (p *Proxy) Failed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failed
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var hook func()
	if p.hook != nil {
		if p.hookAt == 0 {
			hook, p.hook = p.hook, nil
		} else {
			p.hookAt--
		}
	}
	p.mu.Unlock()
	if hook != nil {
		hook()
	}
	p.mu.Lock()
	fail := p.allowed == 0
	mode := p.mode
	if fail {
		p.failed++
	} else {
		if p.allowed > 0 {
			p.allowed--
		}
		p.passed++
	}
	p.mu.Unlock()
	if !fail {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch mode {
	case Unavailable:
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-ms-error-code", "ServerBusy")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"odata.error":{"code":"ServerBusy","message":{"lang":"en-US","value":"The server is busy."}}}`)
	case Timeout:
		// Storage gets the request; its answer is lost.
		rec := httptest.NewRecorder()
		p.proxy.ServeHTTP(rec, r)
		select {
		case <-r.Context().Done():
		case <-time.After(p.Hold):
		}
		reset(w)
	default:
		reset(w)
	}
}

// reset closes the client's connection abruptly (RST, not FIN).
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
