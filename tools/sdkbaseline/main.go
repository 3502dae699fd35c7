// Command sdkbaseline is the second baseline of the cold-start benchmark: the
// bare net/http server of tools/barehttp, linked with the packages the
// product requires (Azure SDK, MSAL through azidentity, jwx, sendgrid-go,
// go-ical, rrule-go, the zone database) and nothing of ours. Beside the
// handler and barehttp it splits cold start into what those packages cost at
// start and what the handler adds.
package main

import (
	_ "github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	_ "github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	_ "github.com/Azure/azure-sdk-for-go/sdk/messaging/azservicebus"
	_ "github.com/emersion/go-ical"
	_ "github.com/lestrrat-go/jwx/v2/jwk"
	_ "github.com/lestrrat-go/jwx/v2/jwt"
	_ "github.com/sendgrid/sendgrid-go"
	_ "github.com/teambition/rrule-go"
	"github.com/teamspro/functions/tools/internal/baseline"
	_ "time/tzdata"
)

func main() { baseline.Serve() }
