package main

// Browser tests of the Teams tabs: the real handler (dev sign-in on, real
// Azurite) booted in-process on a free port, driven by the system's headless
// Chromium through chromedp. Shared by both tabs' browser tests.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/teamspro/functions/internal/openapitest"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/testenv"
	"github.com/teamspro/functions/web"
)

// tabServer is the handler serving the tabs and the API.
type tabServer struct {
	base string
}

// startTabServer boots the handler with dev sign-in against the test Azurite,
// with extra settings given as NAME=value.
func startTabServer(t testing.TB, extra ...string) *tabServer {
	t.Helper()
	if !web.Built(web.Files()) {
		t.Fatal("web/dist holds no built front end: run make test (or bash scripts/web.sh) first")
	}
	port := freePort(t)
	env := map[string]string{
		"FUNCTIONS_CUSTOMHANDLER_PORT": strconv.Itoa(port),
		"TableStorage":                 tablestest.ConnectionString(t),
		"TABLE_PREFIX":                 tablestest.Prefix() + "br" + strings.ReplaceAll(uuid.NewString()[:6], "-", ""),
		"DEV_SIGNIN":                   "true",
		"DEV_SIGNIN_KEY_FILE":          filepath.Join(t.TempDir(), "dev.json"),
		"MAIL_OUTBOX_DIR":              t.TempDir(),
		"LOG_LEVEL":                    "warn",
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	wrap := openapitest.Middleware(t) // the tabs' requests too are held to the document
	go func() {
		done <- serve(ctx, func(k string) string { return env[k] }, io.Discard, serveHooks{ready: ready, wrap: wrap})
	}()
	select {
	case addr := <-ready:
		t.Cleanup(func() {
			cancel()
			<-done
		})
		s := &tabServer{base: "http://" + addr}
		s.waitReady(t)
		return s
	case err := <-done:
		cancel()
		t.Fatalf("handler did not start: %v", err)
	}
	return nil
}

func (s *tabServer) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(s.base + "/api/health/ready"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("handler never ready")
}

// api calls the API with a bearer token and decodes the JSON answer into out.
func (s *tabServer) api(t testing.TB, method, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// chromiumPath finds the system Chromium: a missing one fails under CI=true
// and skips otherwise (scripts/test.sh installs it).
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Missing(t, "no Chromium: install it (apt-get install -y chromium); scripts/test.sh does")
	return ""
}

// browser is one headless Chromium tab in a fresh profile.
type browser struct {
	t    testing.TB
	ctx  context.Context
	base string
}

// newBrowser starts Chromium with the browser's zone set to zone. On failure
// the test keeps a screenshot of the page in the test output directory.
func newBrowser(t testing.TB, base, zone string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	b := &browser{t: t, ctx: ctx, base: base}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot("failure-" + strings.ReplaceAll(t.Name(), "/", "_"))
		}
		cancelT()
		cancelC()
		cancelA()
	})
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone}); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// The page's errors go to the test log, to explain a failure.
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.logf("page %s: %s", m.Type, m.Text)
			}
		}
	}()
	return b
}

// logf logs while the test runs (the console reader outlives nothing else).
func (b *browser) logf(format string, args ...any) {
	defer func() { _ = recover() }() // a log after the test ended
	b.t.Logf(format, args...)
}

// run runs actions, failing the test with what was being done.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// screenshotDir is where screenshots go: TEAMSPRO_SCREENSHOTS when set (to
// refresh the README's pictures), else a folder under the system's temp dir.
func screenshotDir() string {
	if d := os.Getenv("TEAMSPRO_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "teamspro-browser-tests")
}

// screenshot saves the page as <name>.png and logs where.
func (b *browser) screenshot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	dir := screenshotDir()
	_ = os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", p)
}

// devSignIn opens path and signs in on the dev sign-in screen.
// newCalendarTab signs in as a member of tenant and saves a Calendar Pro tab
// in Europe/Paris from its config page (in view, when not empty), then waits
// for the content page's calendar.
func (b *browser) newCalendarTab(tenant, user, name, view string) {
	b.t.Helper()
	b.devSignIn("/calendar-pro/config", tenant, user, name, false)
	b.run("config page", waitVisible("#cfg-save"))
	b.setInput("#cfg-zone", "Europe/Paris")
	if view != "" {
		b.setInput("#cfg-view", view)
	}
	b.click("#cfg-save")
	b.waitFor("content page", `location.pathname === "/calendar-pro/content" && !!document.querySelector(".ec")`)
}

func (b *browser) devSignIn(path, tenant, user, name string, admin bool) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("#devsignin-submit")))
	b.axe("dev sign-in")
	b.setInput("input[name=tenantId]", tenant)
	b.setInput("input[name=objectId]", user)
	b.setInput("input[name=name]", name)
	if admin {
		b.run("tick admin", chromedp.Click(chromedp.CSS("input[name=admin]")))
	}
	b.run("sign in", chromedp.Click(chromedp.CSS("#devsignin-submit")), chromedp.WaitNotPresent(chromedp.CSS("#devsignin-submit")))
}

// setInput types value into an input (React sees an input event, as from a keyboard).
func (b *browser) setInput(sel, value string) {
	b.t.Helper()
	b.run("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
		el.focus();
		Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, %q);
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, sel, value)))
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression (promises awaited) into out.
func eval[T any](b *browser, what, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true, across navigations.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("wait for %s: not true after 20s (%v)", what, last)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

var axeSource []byte

// axe runs axe-core (from web/node_modules) on the page and fails on any
// serious or critical violation.
func (b *browser) axe(screen string) {
	b.t.Helper()
	if axeSource == nil {
		src, err := os.ReadFile(filepath.Join("..", "web", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			b.t.Fatalf("axe-core: %v (scripts/web.sh installs the front end's packages)", err)
		}
		axeSource = src
	}
	b.settle() // colours are measured at rest: dialogs fade in
	eval[bool](b, "load axe-core", string(axeSource)+";true")
	vs := eval[[]axeViolation](b, "axe on "+screen, `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)`)
	for _, v := range vs {
		if v.Impact != "serious" && v.Impact != "critical" {
			continue
		}
		var where []string
		for _, n := range v.Nodes {
			// Fluent UI's focus manager (tabster) puts focusable, aria-hidden
			// <i data-tabster-dummy> sentinels around arrow-key groups (TabList,
			// Toolbar, dialogs): they only pass the focus on, so Microsoft's own
			// checkers skip them for aria-hidden-focus, and so does this one.
			if v.ID == "aria-hidden-focus" && strings.Contains(n.HTML, "data-tabster-dummy") {
				continue
			}
			where = append(where, fmt.Sprint(n.Target))
		}
		if len(where) == 0 {
			continue
		}
		b.t.Errorf("axe on %s: %s %s (%s) at %s", screen, v.Impact, v.ID, v.Help, strings.Join(where[:min(len(where), 3)], ", "))
	}
}

// click clicks the element matching a CSS selector.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	b.settle()
	b.run("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// clickText clicks the first element matching an XPath query (for text).
func (b *browser) clickXPath(xpath string) {
	b.t.Helper()
	b.run("click "+xpath, chromedp.WaitVisible(chromedp.Search(xpath)), chromedp.Click(chromedp.Search(xpath)))
}

// open navigates to path.
func (b *browser) open(path, waitSel string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(waitSel)))
}

func waitVisible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

func waitNotPresent(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitNotPresent(chromedp.CSS(sel))
}

func focus(sel string) chromedp.Action[chromedp.Void] { return chromedp.Focus(chromedp.CSS(sel)) }

// noDialog waits until no dialog (nor its closing backdrop) covers the page.
func (b *browser) noDialog() {
	b.t.Helper()
	// The page behind a dialog is aria-hidden until the dialog has gone.
	b.waitFor("no dialog", `!document.querySelector(".fui-DialogSurface, .fui-DialogSurface__backdrop, #root[aria-hidden]")`)
}

// settle waits until no animation runs (a dialog fading in moves its buttons
// under the pointer and blends its colours).
func (b *browser) settle() {
	b.t.Helper()
	b.waitFor("animations to end", `document.getAnimations().every(a => a.playState !== "running")`)
}
