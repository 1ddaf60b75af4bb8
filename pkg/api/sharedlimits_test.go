package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Clients built one per call with the same SharedLimits keep one pace, as a single client does; without it each new
// client starts with a full budget.
func TestSharedLimitsPaceClientsTogether(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(okHandler))
	defer srv.Close()
	fc := newFakeClock()
	shared := &SharedLimits{}
	for _, tc := range []struct {
		shared *SharedLimits
		want   int // waits over three clients of one request each
	}{{nil, 0}, {shared, 2}} {
		before := len(fc.Sleeps())
		for i := 0; i < 3; i++ {
			c, _ := newTestClient(t, srv.URL, Options{RatePerSec: 2, Shared: tc.shared, Now: fc.Now, Sleep: fc.Sleep})
			req, _ := c.NewRequest(context.Background(), http.MethodGet, "/x", nil)
			if _, err := c.DoJSON(req, nil); err != nil {
				t.Fatal(err)
			}
		}
		waits := fc.Sleeps()[before:]
		if len(waits) != tc.want {
			t.Fatalf("shared=%v: waits %v, want %d", tc.shared != nil, waits, tc.want)
		}
		for _, w := range waits {
			if w != 500*time.Millisecond {
				t.Fatalf("wait %v, want 500ms", w)
			}
		}
	}
	// Another budget for the same URL (another profile's settings) is paced apart.
	if shared.limiterFor(srv.URL, Options{RatePerSec: 2}) == shared.limiterFor(srv.URL, Options{RatePerSec: 5}) {
		t.Fatal("different budgets share a pace")
	}
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{"password": true, "client_secret": true, "X-Auth-Token": true,
		"private_key_passphrase": true, "key": false, "public_key": false, "name": false} {
		if IsSecretName(name) != want {
			t.Errorf("IsSecretName(%q) = %v", name, !want)
		}
	}
}
