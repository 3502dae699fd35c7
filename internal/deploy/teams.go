package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// placeholder is the ${{NAME}} form of the Teams app manifest templates, the same
// form the Teams Toolkit uses, so the templates stay usable with it.
var placeholder = regexp.MustCompile(`\$\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}`)

// Placeholders returns the distinct placeholder names of a template, sorted.
func Placeholders(template []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range placeholder.FindAllSubmatch(template, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Render fills every ${{NAME}} of a JSON template with lookup(NAME), escaped for a
// JSON string. It fails naming every placeholder without a value, and when the
// result is not valid JSON.
func Render(template []byte, lookup func(string) string) ([]byte, error) {
	var missing []string
	for _, n := range Placeholders(template) {
		if strings.TrimSpace(lookup(n)) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("no value for %s", strings.Join(missing, ", "))
	}
	out := placeholder.ReplaceAllFunc(template, func(m []byte) []byte {
		v, _ := json.Marshal(strings.TrimSpace(lookup(string(placeholder.FindSubmatch(m)[1]))))
		return v[1 : len(v)-1]
	})
	if !json.Valid(out) {
		return nil, fmt.Errorf("the filled-in manifest is not valid JSON")
	}
	return out, nil
}

// LoadManifestSchema compiles the Teams manifest JSON schema at path (a vendored
// copy of the published schema).
func LoadManifestSchema(path string) (*jsonschema.Schema, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// The schema's patterns are ECMAScript regular expressions, some with
	// look-aheads that Go's regexp lacks.
	c.UseRegexpEngine(ecmaRegexp)
	const id = "file:///MicrosoftTeams.schema.json"
	if err := c.AddResource(id, doc); err != nil {
		return nil, err
	}
	return c.Compile(id)
}

// ValidateManifest checks a filled-in manifest against the schema, then checks
// what the schema cannot: SSO is configured for the API the handler serves
// (webApplicationInfo.resource is api://<a valid domain>/<its id>), and every tab
// URL is on a valid domain.
func ValidateManifest(manifest []byte, schema *jsonschema.Schema) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(manifest))
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := schema.Validate(doc); err != nil {
		return fmt.Errorf("manifest does not match its schema: %w", err)
	}
	var m struct {
		WebApplicationInfo *struct {
			ID       string `json:"id"`
			Resource string `json:"resource"`
		} `json:"webApplicationInfo"`
		ValidDomains     []string `json:"validDomains"`
		ConfigurableTabs []struct {
			ConfigurationURL string `json:"configurationUrl"`
		} `json:"configurableTabs"`
		StaticTabs []struct {
			ContentURL string `json:"contentUrl"`
		} `json:"staticTabs"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return err
	}
	var problems []string
	if m.WebApplicationInfo == nil {
		problems = append(problems, "webApplicationInfo is missing: Teams SSO needs it")
	} else {
		u, err := url.Parse(m.WebApplicationInfo.Resource)
		switch {
		case err != nil || u.Scheme != "api" || u.Host == "":
			problems = append(problems, fmt.Sprintf("webApplicationInfo.resource %q is not api://<host>/<client id>", m.WebApplicationInfo.Resource))
		case strings.Trim(u.Path, "/") != m.WebApplicationInfo.ID:
			problems = append(problems, fmt.Sprintf("webApplicationInfo.resource %q does not end with the client id %s", m.WebApplicationInfo.Resource, m.WebApplicationInfo.ID))
		case !slices.Contains(m.ValidDomains, u.Host):
			problems = append(problems, fmt.Sprintf("the App ID URI host %s is not in validDomains", u.Host))
		}
	}
	var urls []string
	for _, t := range m.ConfigurableTabs {
		urls = append(urls, t.ConfigurationURL)
	}
	for _, t := range m.StaticTabs {
		urls = append(urls, t.ContentURL)
	}
	if len(urls) == 0 {
		problems = append(problems, "no tab")
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || !slices.Contains(m.ValidDomains, u.Host) {
			problems = append(problems, fmt.Sprintf("tab URL %q is not https on a valid domain", raw))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("manifest: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ecmaRegexp compiles JSON Schema patterns with ECMAScript semantics.
func ecmaRegexp(pattern string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(pattern, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return (*ecmaRE)(re), nil
}

type ecmaRE regexp2.Regexp

func (re *ecmaRE) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(re).MatchString(s)
	return err == nil && ok
}

func (re *ecmaRE) String() string { return (*regexp2.Regexp)(re).String() }
