package main

import (
	"context"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// lazyCredential builds the Azure credential at its first token request
// rather than at start. Building the managed identity credential (MSAL's
// client) takes 0.1-0.3 ms of the cold start the host waits for, and no
// token is needed before the first storage or queue call. A credential that
// cannot be built fails that call (and every later one) with the reason.
type lazyCredential struct {
	build func() (azcore.TokenCredential, error)

	once sync.Once
	cred azcore.TokenCredential
	err  error
}

var _ azcore.TokenCredential = (*lazyCredential)(nil)

// GetToken implements azcore.TokenCredential.
func (c *lazyCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.once.Do(func() { c.cred, c.err = c.build() })
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	return c.cred.GetToken(ctx, opts)
}
