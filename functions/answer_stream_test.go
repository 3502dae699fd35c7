package functions_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/teamspro/functions/internal/faultproxy"
	"github.com/teamspro/functions/internal/tables"
	"github.com/teamspro/functions/internal/tables/tablestest"
	"github.com/teamspro/functions/internal/teamspro"
)

// TestExportFailingStorage: the organization's export streams page by page.
// When storage fails before anything is sent the answer is a problem with its
// status; when it fails once the export is on its way, the transfer breaks,
// so a client never takes a cut export for a whole one.
func TestExportFailingStorage(t *testing.T) {
	t.Parallel()
	cs := tablestest.ConnectionString(t)
	m := regexp.MustCompile(`TableEndpoint=(https?://[^/;]+)`).FindStringSubmatch(cs)
	if m == nil {
		t.Fatalf("no TableEndpoint in %s", tablestest.EnvVar)
	}
	p, err := faultproxy.New(m[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	opts := tablestest.Options(t)
	opts.ConnectionString = strings.Replace(cs, m[1], p.URL(), 1)
	opts.Retry = &policy.RetryOptions{MaxRetries: -1, TryTimeout: 20 * time.Second}
	c, err := tables.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tablestest.Ensure(t, c)
	h := buildHarness(t, c)
	admin := h.newUser("", true)
	// Enough rooms that the export passes the part held back before the
	// rooms table's page is done.
	var csv strings.Builder
	csv.WriteString("id,name,timeZone,capacity\n")
	for i := range 300 {
		fmt.Fprintf(&csv, "room-%03d,Meeting room number %03d on the long corridor,Europe/Paris,%d\n", i, i, 4+i%20)
	}
	expect(t, h.do("POST", "/api/rooms/import", &admin, csv.String(), "Content-Type", "text/csv"), 200, "")

	export := func() (*http.Response, []byte, error) {
		t.Helper()
		req, err := http.NewRequest("GET", h.http.URL+"/api/admin/export", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, b, err
	}
	p.Passed()
	res, body, err := export()
	calls := p.Passed()
	if err != nil || res.StatusCode != 200 || !json.Valid(body) || len(body) < 64<<10 {
		t.Fatalf("healthy export: got status %d, %d bytes, valid JSON %v, read error %v; want 200 and a whole document over 64 KiB",
			res.StatusCode, len(body), json.Valid(body), err)
	}
	if res.Header.Get("Content-Length") != "" {
		t.Errorf("got Content-Length %q on a streamed export, want none", res.Header.Get("Content-Length"))
	}

	t.Run("before the first byte", func(t *testing.T) {
		p.FailAfter(0, faultproxy.Unavailable)
		defer p.Heal()
		res, body, err := export()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		r := response{status: res.StatusCode, header: res.Header, body: body}
		expect(t, r, 503, teamspro.EUNAVAILABLE)
		if got := res.Header.Get("Content-Disposition"); got != "" {
			t.Errorf("got Content-Disposition %q on a problem, want none", got)
		}
	})
	t.Run("after the export started", func(t *testing.T) {
		p.FailAfter(calls-1, faultproxy.Unavailable)
		defer p.Heal()
		res, body, err := export()
		if res.StatusCode != 200 {
			t.Fatalf("got status %d, want 200 (the export was under way)", res.StatusCode)
		}
		if err == nil {
			t.Fatalf("got a whole transfer of %d bytes (valid JSON %v), want a broken one", len(body), json.Valid(body))
		}
		if json.Valid(body) {
			t.Errorf("the cut export parses as JSON")
		}
	})
}
