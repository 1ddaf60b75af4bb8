package secrets

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service name of every entry.
const Service = "infra"

// ChunkSize is the largest secret stored as a single keyring entry. Windows Credential Manager refuses more than 2,560
// bytes and the macOS security tool limits its command line, so a longer secret is split: the main entry then holds a
// header "infra-chunked:v1:<n>" and the parts go to entries "<vendor>:<profile>#1" … "#n", each at most ChunkSize bytes
// and cut on UTF-8 boundaries. Get reassembles them and Delete removes them all.
const ChunkSize = 2500

// MaxChunks bounds the size of a secret (MaxChunks × ChunkSize bytes); larger secrets are refused.
const MaxChunks = 64

const chunkHeader = "infra-chunked:v1:"

// keyringStore uses the OS keyring through go-keyring.
type keyringStore struct{ timeout time.Duration }

// NewKeyring returns the OS keyring store. Entries are kept under service "infra" with user "<vendor>:<profile>".
// Every operation is bounded by timeout (a hung D-Bus or a Keychain prompt must not block forever; 0 means 5 s); when
// it expires, or when the platform has no usable keyring, the error wraps ErrUnavailable and names the alternatives.
// A missing entry is ErrNotFound.
func NewKeyring(timeout time.Duration) Store {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &keyringStore{timeout: timeout}
}

func (k *keyringStore) Name() string { return "keyring" }

func (k *keyringStore) Get(vendor, profile string) (string, error) {
	var out string
	err := k.do(vendor, func() error {
		var err error
		out, err = getChunked(entryName(vendor, profile))
		return err
	})
	return out, err
}

func (k *keyringStore) Set(vendor, profile, secret string) error {
	return k.do(vendor, func() error { return setChunked(entryName(vendor, profile), secret) })
}

func (k *keyringStore) Delete(vendor, profile string) error {
	return k.do(vendor, func() error { return deleteChunked(entryName(vendor, profile)) })
}

// do runs op with the timeout and maps keyring errors. On timeout the keyring call keeps running in the background;
// there is no way to cancel it, and the process is expected to give up soon.
func (k *keyringStore) do(vendor string, op func() error) error {
	done := make(chan error, 1)
	go func() { done <- op() }()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return mapError(vendor, err)
	case <-timer.C:
		return unavailable(vendor, fmt.Sprintf("the keyring did not answer within %s (is the D-Bus session or Secret Service hung?)", k.timeout))
	}
}

// errTooBig reports a secret beyond MaxChunks×ChunkSize; it is not a keyring failure.
var errTooBig = fmt.Errorf("secret is longer than %d bytes, too long for the OS keyring", MaxChunks*ChunkSize)

// errIncomplete reports a chunked secret with a missing part.
var errIncomplete = errors.New("the stored secret is incomplete (a part is missing from the keyring); log in again to replace it")

func mapError(vendor string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound), errors.Is(err, ErrNotFound):
		return ErrNotFound
	case errors.Is(err, errTooBig), errors.Is(err, errIncomplete):
		return err
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("the OS keyring refused the secret as too large: %w", err)
	}
	return unavailable(vendor, describe(err))
}

// describe turns a backend failure into a short reason. Messages of the D-Bus library do not contain secrets.
func describe(err error) string {
	msg := err.Error()
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "dbus_session_bus_address") || strings.Contains(low, "dbus-launch") ||
		strings.Contains(low, "autolaunch") || strings.Contains(low, "no such file or directory") || strings.Contains(low, "connection refused"):
		return "no D-Bus session bus (" + msg + ")"
	case strings.Contains(low, "org.freedesktop.secrets") || strings.Contains(low, "serviceunknown") || strings.Contains(low, "was not provided by any"):
		return "no Secret Service on the D-Bus session (" + msg + ")"
	case strings.Contains(low, "unlock") || strings.Contains(low, "locked"):
		return "the keyring is locked and could not be unlocked (" + msg + ")"
	}
	return msg
}

// unavailable builds the ErrUnavailable error with the ways to go without a keyring.
func unavailable(vendor, reason string) error {
	env := "INFRA_<VENDOR>_..."
	switch vendor {
	case "pra":
		env = "INFRA_PRA_CLIENT_SECRET (or BT_CLIENT_SECRET)"
	case "virtomize":
		env = "INFRA_VIRTOMIZE_PASSWORD or INFRA_VIRTOMIZE_CLIENT_SECRET"
	case "jotelulu":
		env = "INFRA_JOTELULU_TOKEN"
	}
	return fmt.Errorf("%w: %s; instead set %s in the environment, pass --env-file FILE, "+
		"or keep secrets in a plain 0600 file with `infra config set secret_store file`", ErrUnavailable, reason, env)
}

func chunkUser(user string, i int) string { return user + "#" + strconv.Itoa(i) }

// split cuts s into parts of at most size bytes without splitting a UTF-8 sequence.
func split(s string, size int) []string {
	var parts []string
	for len(s) > size {
		cut := size
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = size
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}

// storedChunks returns the number of parts recorded in a main entry value, or 0 when it is a plain secret.
func storedChunks(v string) (int, bool) {
	rest, ok := strings.CutPrefix(v, chunkHeader)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > MaxChunks {
		return 0, false
	}
	return n, true
}

func setChunked(user, secret string) error {
	old, err := keyring.Get(Service, user)
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return err
	}
	oldN, _ := storedChunks(old)
	var newN int
	// A secret that itself looks like a header is chunked too, so that Get never misreads it.
	if len(secret) > ChunkSize || strings.HasPrefix(secret, chunkHeader) {
		parts := split(secret, ChunkSize)
		if len(parts) > MaxChunks {
			return errTooBig
		}
		for i, p := range parts {
			if err := keyring.Set(Service, chunkUser(user, i+1), p); err != nil {
				return err
			}
		}
		newN = len(parts)
		err = keyring.Set(Service, user, chunkHeader+strconv.Itoa(newN))
	} else {
		err = keyring.Set(Service, user, secret)
	}
	if err != nil {
		return err
	}
	for i := newN + 1; i <= oldN; i++ {
		if err := keyring.Delete(Service, chunkUser(user, i)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
	}
	return nil
}

func getChunked(user string) (string, error) {
	v, err := keyring.Get(Service, user)
	if err != nil {
		return "", err
	}
	n, ok := storedChunks(v)
	if !ok {
		return v, nil
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		p, err := keyring.Get(Service, chunkUser(user, i))
		if errors.Is(err, keyring.ErrNotFound) {
			return "", errIncomplete
		}
		if err != nil {
			return "", err
		}
		b.WriteString(p)
	}
	return b.String(), nil
}

func deleteChunked(user string) error {
	v, err := keyring.Get(Service, user)
	if err != nil {
		return err
	}
	n, _ := storedChunks(v)
	if err := keyring.Delete(Service, user); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if err := keyring.Delete(Service, chunkUser(user, i)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Available reports whether the OS keyring works, by storing, reading back and deleting a probe entry within timeout.
// It returns nil when the keyring is usable and an error wrapping ErrUnavailable otherwise.
func Available(timeout time.Duration) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	probe := "probe-" + hex.EncodeToString(b[:])
	k := &keyringStore{timeout: timeout}
	if timeout <= 0 {
		k.timeout = 5 * time.Second
	}
	err := k.do("", func() error {
		if err := keyring.Set(Service, probe, probe); err != nil {
			return err
		}
		got, err := keyring.Get(Service, probe)
		if err != nil {
			return err
		}
		if err := keyring.Delete(Service, probe); err != nil {
			return err
		}
		if got != probe {
			return errors.New("the keyring returned a different value than was stored")
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrUnavailable) {
		return unavailable("", err.Error())
	}
	return err
}
