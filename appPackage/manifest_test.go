package apppackage_test

import (
	"archive/zip"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/teamspro/functions/internal/deploy"
)

var apps = []string{"calendar-pro", "booking-room-pro"}

const (
	clientID   = "6a3c1d2e-4b5f-4a7b-9c8d-0e1f2a3b4c5d"
	calendarID = "0f0e0d0c-0b0a-4908-8706-050403020100"
	bookingID  = "1f1e1d1c-1b1a-4918-8716-151413121110"
)

// sampleValues are what scripts/teams-package.sh passes to the templates.
var sampleValues = map[string]string{
	"TAB_ENDPOINT":          "https://tabs.contoso.com",
	"TAB_DOMAIN":            "tabs.contoso.com",
	"AAD_APP_CLIENT_ID":     clientID,
	"APP_ID_URI":            "api://tabs.contoso.com/" + clientID,
	"CALENDAR_TEAMS_APP_ID": calendarID,
	"BOOKING_TEAMS_APP_ID":  bookingID,
	"PUBLISHER_NAME":        "Contoso",
	"PUBLISHER_URL":         "https://contoso.com",
	"PRIVACY_URL":           "https://contoso.com/privacy",
	"TERMS_URL":             "https://contoso.com/terms",
}

func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := deploy.LoadManifestSchema("schema/MicrosoftTeams.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func render(t *testing.T, app string) []byte {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(app, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := deploy.Render(tmpl, func(k string) string { return sampleValues[k] })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestManifestsMatchSchema fills in each template as the script does and checks
// it against the published Teams manifest schema (vendored from the npm package
// @microsoft/app-manifest) and the SSO rules.
func TestManifestsMatchSchema(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	for _, app := range apps {
		t.Run(app, func(t *testing.T) {
			t.Parallel()
			tmpl, err := os.ReadFile(filepath.Join(app, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range deploy.Placeholders(tmpl) {
				if _, ok := sampleValues[name]; !ok {
					t.Errorf("placeholder ${{%s}} is not one scripts/teams-package.sh provides", name)
				}
			}
			if err := deploy.ValidateManifest(render(t, app), schema); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestManifestValidationRejects shows the validation can fail: each change breaks
// a rule of the schema or of Teams SSO.
func TestManifestValidationRejects(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	tests := []struct {
		name   string
		change func(m map[string]any)
	}{
		{"two configurable tabs in one app", func(m map[string]any) {
			tabs := m["configurableTabs"].([]any)
			m["configurableTabs"] = append(tabs, tabs[0])
		}},
		{"app id not a GUID", func(m map[string]any) { m["id"] = "calendar-pro" }},
		{"no privacy URL", func(m map[string]any) { delete(m["developer"].(map[string]any), "privacyUrl") }},
		{"unknown property", func(m map[string]any) { m["tabs"] = []any{} }},
		{"short name too long", func(m map[string]any) {
			m["name"].(map[string]any)["short"] = strings.Repeat("x", 31)
		}},
		{"no SSO", func(m map[string]any) { delete(m, "webApplicationInfo") }},
		{"App ID URI of another client", func(m map[string]any) {
			m["webApplicationInfo"].(map[string]any)["resource"] = "api://tabs.contoso.com/" + calendarID
		}},
		{"App ID URI host not a valid domain", func(m map[string]any) {
			m["webApplicationInfo"].(map[string]any)["resource"] = "api://other.example.com/" + clientID
		}},
		{"tab on plain http", func(m map[string]any) {
			m["configurableTabs"].([]any)[0].(map[string]any)["configurationUrl"] = "http://tabs.contoso.com/config"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			if err := json.Unmarshal(render(t, "calendar-pro"), &m); err != nil {
				t.Fatal(err)
			}
			tt.change(m)
			raw, _ := json.Marshal(m)
			if err := deploy.ValidateManifest(raw, schema); err == nil {
				t.Error("got a valid manifest, want an error")
			}
		})
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// TestIcons checks what Teams requires of the icons: a 192x192 color icon and a
// 32x32 outline icon that is white on a transparent background.
func TestIcons(t *testing.T) {
	t.Parallel()
	for _, app := range apps {
		t.Run(app, func(t *testing.T) {
			t.Parallel()
			color := decodePNG(t, filepath.Join(app, "color.png"))
			if got := color.Bounds().Size(); got != (image.Point{192, 192}) {
				t.Errorf("color.png: got %v, want 192x192", got)
			}
			outline := decodePNG(t, filepath.Join(app, "outline.png"))
			if got := outline.Bounds().Size(); got != (image.Point{32, 32}) {
				t.Errorf("outline.png: got %v, want 32x32", got)
			}
			var opaque, clear int
			b := outline.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, a := outline.At(x, y).RGBA()
					switch {
					case a == 0:
						clear++
					case r == a && g == a && bl == a: // white, premultiplied
						opaque++
					default:
						t.Fatalf("outline.png: pixel (%d,%d) is neither white nor transparent", x, y)
					}
				}
			}
			if opaque == 0 || clear == 0 {
				t.Errorf("outline.png: got %d white and %d transparent pixels, want both", opaque, clear)
			}
		})
	}
}

// scriptEnv is the environment without any value the script reads, plus values.
func scriptEnv(values map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := sampleValues[k]; ours || k == "ENTRA_CLIENT_ID" || k == "ENTRA_APP_ID_URI" || k == "DIST_DIR" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "TEAMS_PACKAGE_NO_AZD=1")
	for k, v := range values {
		env = append(env, k+"="+v)
	}
	return env
}

func runScript(t *testing.T, values map[string]string) (string, string, error) {
	t.Helper()
	dist := t.TempDir()
	values["DIST_DIR"] = dist
	cmd := exec.Command("bash", "../scripts/teams-package.sh")
	cmd.Env = scriptEnv(values)
	out, err := cmd.CombinedOutput()
	return dist, string(out), err
}

// TestTeamsPackageScript runs scripts/teams-package.sh and reads the zips it made.
func TestTeamsPackageScript(t *testing.T) {
	values := map[string]string{
		"TAB_ENDPOINT":          "https://tabs.contoso.com/",
		"ENTRA_CLIENT_ID":       clientID, // the names azd keeps, used as fallbacks
		"ENTRA_APP_ID_URI":      "api://tabs.contoso.com/" + clientID,
		"CALENDAR_TEAMS_APP_ID": calendarID,
		"BOOKING_TEAMS_APP_ID":  bookingID,
	}
	dist, out, err := runScript(t, values)
	if err != nil {
		t.Fatalf("teams-package.sh failed: %v\n%s", err, out)
	}
	wantIDs := map[string]string{"calendar-pro": calendarID, "booking-room-pro": bookingID}
	for _, app := range apps {
		zr, err := zip.OpenReader(filepath.Join(dist, "teams-app-"+app+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		var names []string
		var manifest []byte
		for _, f := range zr.File {
			names = append(names, f.Name)
			if f.Name == "manifest.json" {
				rc, _ := f.Open()
				manifest, _ = io.ReadAll(rc)
				rc.Close()
			}
		}
		sort.Strings(names)
		if want := []string{"color.png", "manifest.json", "outline.png"}; !slices.Equal(names, want) {
			t.Errorf("%s: got files %v, want %v", app, names, want)
		}
		if strings.Contains(string(manifest), "${{") {
			t.Errorf("%s: manifest still holds a placeholder:\n%s", app, manifest)
		}
		var m struct {
			ID               string
			ValidDomains     []string
			ConfigurableTabs []struct{ ConfigurationURL string }
		}
		if err := json.Unmarshal(manifest, &m); err != nil {
			t.Fatal(err)
		}
		if m.ID != wantIDs[app] {
			t.Errorf("%s: got id %s, want %s", app, m.ID, wantIDs[app])
		}
		if !slices.Equal(m.ValidDomains, []string{"tabs.contoso.com"}) {
			t.Errorf("%s: got validDomains %v, want [tabs.contoso.com]", app, m.ValidDomains)
		}
		if len(m.ConfigurableTabs) != 1 || !strings.HasPrefix(m.ConfigurableTabs[0].ConfigurationURL, "https://tabs.contoso.com/"+app+"/") {
			t.Errorf("%s: got tabs %+v, want one under https://tabs.contoso.com/%s/", app, m.ConfigurableTabs, app)
		}
	}
}

// TestTeamsPackageScriptRefuses: a missing or wrong value stops the script with a
// message naming it, and no package is written.
func TestTeamsPackageScriptRefuses(t *testing.T) {
	full := func() map[string]string {
		return map[string]string{
			"TAB_ENDPOINT":          "https://tabs.contoso.com",
			"AAD_APP_CLIENT_ID":     clientID,
			"APP_ID_URI":            "api://tabs.contoso.com/" + clientID,
			"CALENDAR_TEAMS_APP_ID": calendarID,
			"BOOKING_TEAMS_APP_ID":  bookingID,
		}
	}
	tests := []struct {
		name   string
		change func(map[string]string)
		want   string
	}{
		{"missing app ids", func(v map[string]string) { delete(v, "BOOKING_TEAMS_APP_ID"); delete(v, "CALENDAR_TEAMS_APP_ID") }, "missing CALENDAR_TEAMS_APP_ID BOOKING_TEAMS_APP_ID"},
		{"missing client id", func(v map[string]string) { delete(v, "AAD_APP_CLIENT_ID") }, "missing AAD_APP_CLIENT_ID"},
		{"tab endpoint not https", func(v map[string]string) { v["TAB_ENDPOINT"] = "http://tabs.contoso.com" }, "TAB_ENDPOINT must be an https origin"},
		{"app id not a GUID", func(v map[string]string) { v["CALENDAR_TEAMS_APP_ID"] = "calendar" }, "calendar-pro: the filled-in manifest is not valid"},
		{"App ID URI on another host", func(v map[string]string) { v["APP_ID_URI"] = "api://api.contoso.com/" + clientID }, "not in validDomains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := full()
			tt.change(v)
			dist, out, err := runScript(t, v)
			if err == nil {
				t.Fatalf("got success, want a failure mentioning %q\n%s", tt.want, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("got output %q, want it to mention %q", out, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dist, "teams-app-calendar-pro.zip")); err == nil {
				t.Error("got a calendar-pro package, want none")
			}
		})
	}
}
