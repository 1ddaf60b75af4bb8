package virtomize

import (
	"strings"
	"testing"

	"github.com/GehirnInc/crypt/sha512_crypt"
)

func TestHashRootPassword(t *testing.T) {
	h, err := hashRootPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$6$") {
		t.Fatalf("not SHA-512 crypt: %s", h)
	}
	if err := sha512_crypt.New().Verify(h, []byte("correct horse")); err != nil {
		t.Fatalf("hash does not verify: %v", err)
	}
	if h2, _ := hashRootPassword("correct horse"); h2 == h {
		t.Fatal("the salt is not random")
	}
	if got, err := hashRootPassword(h); err != nil || got != h {
		t.Fatalf("a $6$ hash must pass through: %q, %v", got, err)
	}
	for _, bad := range []string{"$1$salt$abcdefgh", "$6$nohash"} {
		if _, err := hashRootPassword(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
