package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/teamspro/functions/internal/config"
	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/teamspro"
)

// devtoken prints a dev token signed with the dev sign-in key. The handler
// accepts it only while DEV_SIGNIN is on; the command refuses to run in Azure.
func devtoken(args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("devtoken", flag.ContinueOnError)
	fs.SetOutput(stdout)
	tenant := fs.String("tenant", "", "tenant id (GUID), required")
	user := fs.String("user", "", "user object id (GUID), required")
	name := fs.String("name", "", "display name")
	upn := fs.String("upn", "", "user principal name")
	admin := fs.Bool("admin", false, "add the tenant admin app role")
	ttl := fs.Duration("ttl", 12*time.Hour, "lifetime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !teamspro.IsGUID(*tenant) || !teamspro.IsGUID(*user) {
		return errors.New("devtoken: --tenant and --user must be GUIDs")
	}
	env := func(k string) string {
		if k == "DEV_SIGNIN" {
			return "true" // minting needs only the key file, whatever the server's switch
		}
		return getenv(k)
	}
	cfg, err := config.Load(env)
	if err != nil {
		// The storage settings do not matter for minting; report only what does.
		var ie *config.InvalidError
		if !errors.As(err, &ie) {
			return err
		}
		cfg = &config.Config{DevSignInKeyFile: ".data/dev-signin-key.json", EntraScope: "access_as_user", AdminAppRole: "TeamsPro.Admin"}
		if v := getenv("DEV_SIGNIN_KEY_FILE"); v != "" {
			cfg.DevSignInKeyFile = v
		}
		if v := getenv("WEBSITE_INSTANCE_ID"); v != "" {
			cfg.WebsiteInstanceID = v
		}
	}
	if cfg.InAzure() {
		return errors.New("devtoken: refused when running in Azure (WEBSITE_INSTANCE_ID is set)")
	}
	iss, err := entra.LoadDevIssuer(cfg.DevSignInKeyFile)
	if err != nil {
		return err
	}
	tok, err := iss.Mint(entra.DevClaims{
		TenantID: teamspro.NormalizeGUID(*tenant), ObjectID: teamspro.NormalizeGUID(*user),
		Name: *name, UPN: *upn, Admin: *admin, Role: cfg.AdminAppRole, Scope: cfg.EntraScope, TTL: *ttl,
	}, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
