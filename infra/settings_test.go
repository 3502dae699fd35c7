package infra_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/teamspro/functions/internal/config"
)

// hostOnlyBicep lists the settings the Bicep app settings may carry although the
// handler never reads them: the Functions host and platform read them.
var hostOnlyBicep = map[string]string{
	// Host storage through the managed identity (identity-based AzureWebJobsStorage).
	"AzureWebJobsStorage__accountName": "host storage account",
	"AzureWebJobsStorage__credential":  "host storage uses the managed identity",
	"AzureWebJobsStorage__clientId":    "which user-assigned identity the host uses",
	// Telemetry sent by the host, with Entra auth.
	"APPLICATIONINSIGHTS_CONNECTION_STRING":     "host telemetry",
	"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "host telemetry with the identity",
	// The host's Service Bus trigger shares the handler's connection name and needs
	// these two beside the namespace the handler reads.
	"ServiceBusConnection__credential": "Service Bus trigger uses the managed identity",
	"ServiceBusConnection__clientId":   "which user-assigned identity the trigger uses",
	// The tabs are served at the root, where the host would show its welcome page.
	"AzureWebJobsDisableHomepage": "the root is the tabs' landing page",
}

// hostOnlySample lists the same for local.settings.sample.json (Core Tools and the
// local host read them).
var hostOnlySample = map[string]string{
	"FUNCTIONS_WORKER_RUNTIME":              "the local host wants Custom (never set on Flex Consumption)",
	"AzureWebJobsStorage":                   "host storage, Azurite locally",
	"APPLICATIONINSIGHTS_CONNECTION_STRING": "optional local telemetry",
	"ServiceBusConnection__credential":      "mirrors Azure when a real namespace is used locally",
	"ServiceBusConnection__clientId":        "mirrors Azure when a real namespace is used locally",
}

// hostPrefixes are whole families of platform settings allowed in both files.
var hostPrefixes = []string{"WEBSITE_", "AzureFunctionsJobHost__"}

// parityProblems compares the names set in one file with the settings the handler
// reads. required decides which handler settings the file must carry; allowed
// decides which other names it may carry.
func parityProblems(file string, handler []config.Setting, names []string, required func(config.Setting) bool, allowed func(string) bool) []string {
	var problems []string
	set := map[string]int{}
	for _, n := range names {
		set[n]++
		if set[n] == 2 {
			problems = append(problems, fmt.Sprintf("%s: %s is set twice", file, n))
		}
	}
	reads := map[string]bool{}
	for _, s := range handler {
		reads[s.Name] = true
		switch {
		case required(s) && set[s.Name] == 0:
			problems = append(problems, fmt.Sprintf("%s: missing %s, which the handler reads", file, s.Name))
		case !required(s) && set[s.Name] > 0:
			problems = append(problems, fmt.Sprintf("%s: carries %s, which the platform sets", file, s.Name))
		}
	}
	for _, n := range names {
		if !reads[n] && !allowed(n) {
			problems = append(problems, fmt.Sprintf("%s: carries %s, which the handler does not read and no allowlist names", file, n))
		}
	}
	sort.Strings(problems)
	return problems
}

func allowedBy(list map[string]string) func(string) bool {
	return func(name string) bool {
		if _, ok := list[name]; ok {
			return true
		}
		for _, p := range hostPrefixes {
			if strings.HasPrefix(name, p) {
				return true
			}
		}
		return false
	}
}

func bicepSettingNames(t *testing.T) map[string]string {
	t.Helper()
	settings, err := parseFile(t, "modules/functionapp.bicep").AppSettings()
	if err != nil {
		t.Fatal(err)
	}
	if len(settings) == 0 {
		t.Fatal("got no app settings in modules/functionapp.bicep, want the handler's")
	}
	out := map[string]string{}
	for _, s := range settings {
		out[s.Name] = s.Value
	}
	return out
}

func bicepSettingList(t *testing.T) []string {
	t.Helper()
	settings, err := parseFile(t, "modules/functionapp.bicep").AppSettings()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range settings {
		names = append(names, s.Name)
	}
	return names
}

func sampleSettings(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../local.settings.sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Values map[string]string `json:"Values"`
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatalf("local.settings.sample.json: %v", err)
	}
	return sample.Values
}

func sampleSettingNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for n := range sampleSettings(t) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TestSettingsParity fails when the Bicep app settings or the local sample miss a
// setting the handler reads, or carry one it does not read and no allowlist names.
func TestSettingsParity(t *testing.T) {
	t.Parallel()
	handler := config.Settings()
	t.Run("bicep", func(t *testing.T) {
		t.Parallel()
		required := func(s config.Setting) bool { return !s.Platform }
		for _, p := range parityProblems("infra/modules/functionapp.bicep", handler, bicepSettingList(t), required, allowedBy(hostOnlyBicep)) {
			t.Error(p)
		}
	})
	t.Run("local sample", func(t *testing.T) {
		t.Parallel()
		required := func(s config.Setting) bool { return !s.Platform }
		for _, p := range parityProblems("local.settings.sample.json", handler, sampleSettingNames(t), required, allowedBy(hostOnlySample)) {
			t.Error(p)
		}
	})
}

// TestAllowlistsNameNoHandlerSetting keeps the allowlists honest: a name the
// handler reads must be checked, not waved through.
func TestAllowlistsNameNoHandlerSetting(t *testing.T) {
	t.Parallel()
	for _, s := range config.Settings() {
		for listName, list := range map[string]map[string]string{"hostOnlyBicep": hostOnlyBicep, "hostOnlySample": hostOnlySample} {
			if _, ok := list[s.Name]; ok {
				t.Errorf("%s names %s, which the handler reads", listName, s.Name)
			}
		}
	}
}

// TestParityProblemsCatchesDrift shows the parity check fails on each kind of drift.
func TestParityProblemsCatchesDrift(t *testing.T) {
	t.Parallel()
	handler := []config.Setting{
		{Name: "LOG_LEVEL"},
		{Name: "TABLE_PREFIX"},
		{Name: "WEBSITE_INSTANCE_ID", Platform: true},
	}
	required := func(s config.Setting) bool { return !s.Platform }
	allowed := allowedBy(map[string]string{"AzureWebJobsStorage__accountName": "host"})
	tests := []struct {
		name  string
		names []string
		want  []string
	}{
		{"in step", []string{"LOG_LEVEL", "TABLE_PREFIX", "AzureWebJobsStorage__accountName"}, nil},
		{"missing", []string{"LOG_LEVEL"}, []string{"f: missing TABLE_PREFIX, which the handler reads"}},
		{"unknown", []string{"LOG_LEVEL", "TABLE_PREFIX", "TABLE_PREFX"}, []string{"f: carries TABLE_PREFX, which the handler does not read and no allowlist names"}},
		{"platform set by hand", []string{"LOG_LEVEL", "TABLE_PREFIX", "WEBSITE_INSTANCE_ID"}, []string{"f: carries WEBSITE_INSTANCE_ID, which the platform sets"}},
		{"twice", []string{"LOG_LEVEL", "TABLE_PREFIX", "LOG_LEVEL"}, []string{"f: LOG_LEVEL is set twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parityProblems("f", handler, tt.names, required, allowed)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// sampleDeviations are the settings whose local sample value differs from
// the handler's default on purpose, and why.
var sampleDeviations = map[string]string{
	"DEV_SIGNIN":           "a local run signs in without Entra ID",
	"CORS_ALLOWED_ORIGINS": "a tab served by a dev server on :3000",
	"TableStorage":         "Azurite's well-known account",
}

// TestSampleValuesAreDefaults: the local sample shows the handler's own
// defaults (an empty value where it has none, PUBLIC_ORIGIN's derived one
// included), so that copying it changes nothing by accident; the few
// deliberate differences are listed with their reason.
func TestSampleValuesAreDefaults(t *testing.T) {
	t.Parallel()
	values := sampleSettings(t)
	for _, s := range config.Settings() {
		v, ok := values[s.Name]
		if !ok || s.Platform {
			continue // reported by TestSettingsParity
		}
		_, deviates := sampleDeviations[s.Name]
		switch {
		case deviates && v == s.Default:
			t.Errorf("local.settings.sample.json: %s is %q, the default, yet sampleDeviations lists it", s.Name, v)
		case !deviates && v != s.Default:
			t.Errorf("local.settings.sample.json: got %s=%q, want the handler's default %q (or a reason in sampleDeviations)", s.Name, v, s.Default)
		}
	}
}

// TestBicepSettingValues checks the values that matter for safety in Azure.
func TestBicepSettingValues(t *testing.T) {
	t.Parallel()
	values := bicepSettingNames(t)
	for name, want := range map[string]string{
		"DEV_SIGNIN":                       "'false'",
		"TableStorage":                     "''",
		"ServiceBusConnection":             "''",
		"AzureWebJobsStorage__credential":  "'managedidentity'",
		"ServiceBusConnection__credential": "'managedidentity'",
		"AZURE_CLIENT_ID":                  "identityClientId",
		"AzureWebJobsStorage__clientId":    "identityClientId",
		"ServiceBusConnection__clientId":   "identityClientId",
		"PUBLIC_ORIGIN":                    "publicOrigin", // empty: https://WEBSITE_HOSTNAME
	} {
		if got := values[name]; got != want {
			t.Errorf("%s: got value %s, want %s", name, got, want)
		}
	}
	// A secret setting is empty or a Key Vault reference, never a value.
	for _, s := range config.Settings() {
		if !s.Secret {
			continue
		}
		v, ok := values[s.Name]
		if !ok {
			continue // reported by TestSettingsParity
		}
		if v != "''" && !strings.Contains(v, "@Microsoft.KeyVault(SecretUri=") {
			t.Errorf("%s is secret: got value %s, want '' or a Key Vault reference", s.Name, v)
		}
	}
}
