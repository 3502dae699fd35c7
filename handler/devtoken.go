package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/teamspro/functions/internal/config"
	"github.com/teamspro/functions/internal/entra"
	"github.com/teamspro/functions/internal/teamspro"
)

// devtoken prints a dev token signed with the dev sign-in key. The handler
// accepts it only while DEV_SIGNIN is on; the command refuses to run in Azure.
// The key is found through the server's own setting, DEV_SIGNIN_KEY_FILE
// (default .data/dev-signin-key.json, relative to the working folder), and
// stderr says which file signed. A missing key is an error naming the file
// and the setting, not a new key that the server would not know (--new-key
// makes one on purpose).
func devtoken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devtoken", flag.ContinueOnError)
	fs.SetOutput(stdout)
	tenant := fs.String("tenant", "", "tenant id (GUID), required")
	user := fs.String("user", "", "user object id (GUID), required")
	name := fs.String("name", "", "display name")
	upn := fs.String("upn", "", "user principal name")
	admin := fs.Bool("admin", false, "add the tenant admin app role")
	ttl := fs.Duration("ttl", 12*time.Hour, "lifetime")
	newKey := fs.Bool("new-key", false, "create the key file when it does not exist")
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
	path, _ := filepath.Abs(cfg.DevSignInKeyFile)
	from := "DEV_SIGNIN_KEY_FILE"
	if getenv("DEV_SIGNIN_KEY_FILE") == "" {
		from = "the default of DEV_SIGNIN_KEY_FILE, which is not set"
	}
	if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) && !*newKey {
		return fmt.Errorf("devtoken: no dev sign-in key at %s (%s). The server creates its key at start with DEV_SIGNIN=true: "+
			"run devtoken from the folder the server runs in (the repository root for make run), or set DEV_SIGNIN_KEY_FILE to the server's key file; "+
			"--new-key creates a key here, which only a server started with it accepts", path, from)
	}
	iss, err := entra.LoadDevIssuer(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "devtoken: signed with the dev sign-in key %s (%s)\n", path, from)
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
