package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fixedToken is a credential that hands out one token.
type fixedToken string

func (f fixedToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(f), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestLazyCredential: the credential is built once, at the first token
// request, however many requests race for it; a credential that cannot be
// built fails every request with the reason.
func TestLazyCredential(t *testing.T) {
	t.Parallel()
	refused := errors.New("no managed identity here")
	tests := []struct {
		name      string
		build     func() (azcore.TokenCredential, error)
		wantToken string
		wantErr   error
	}{
		{"built once", func() (azcore.TokenCredential, error) { return fixedToken("t1"), nil }, "t1", nil},
		{"cannot be built", func() (azcore.TokenCredential, error) { return nil, refused }, "", refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var builds atomic.Int32
			c := &lazyCredential{build: func() (azcore.TokenCredential, error) {
				builds.Add(1)
				return tt.build()
			}}
			if got := builds.Load(); got != 0 {
				t.Fatalf("got %d builds before any token request, want 0", got)
			}
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tok, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://storage.azure.com/.default"}})
					if !errors.Is(err, tt.wantErr) || tok.Token != tt.wantToken {
						t.Errorf("got token %q, error %v; want %q, %v", tok.Token, err, tt.wantToken, tt.wantErr)
					}
				}()
			}
			wg.Wait()
			if got := builds.Load(); got != 1 {
				t.Errorf("got %d builds, want 1", got)
			}
		})
	}
}
