package hyparlist

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func testKey(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func keysEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestValidateKey(t *testing.T) {
	for n := range 40 {
		err := ValidateKey(make([]byte, n))
		valid := n == 16 || n == 24 || n == 32
		if valid && err != nil {
			t.Errorf("ValidateKey(%d bytes) = %v, want nil", n, err)
		}
		if !valid && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%d bytes) = %v, want ErrInvalidKey", n, err)
		}
	}
}

func TestNewKeyring(t *testing.T) {
	k1, k2, k3 := testKey(1, 16), testKey(2, 24), testKey(3, 32)
	tests := []struct {
		name    string
		keys    [][]byte
		primary []byte
		want    [][]byte // primary first
		wantErr error
	}{
		{name: "empty", want: [][]byte{}},
		{name: "primary only", primary: k1, want: [][]byte{k1}},
		{name: "primary in keys", keys: [][]byte{k2, k1, k3}, primary: k1, want: [][]byte{k1, k2, k3}},
		{name: "primary not in keys", keys: [][]byte{k2, k3}, primary: k1, want: [][]byte{k1, k2, k3}},
		{name: "duplicates", keys: [][]byte{k2, k2, k1}, primary: k1, want: [][]byte{k1, k2}},
		{name: "keys without primary", keys: [][]byte{k1}, wantErr: ErrInvalidKey},
		{name: "bad primary", primary: testKey(1, 15), wantErr: ErrInvalidKey},
		{name: "bad secondary", keys: [][]byte{testKey(9, 7)}, primary: k1, wantErr: ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := NewKeyring(tc.keys, tc.primary)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || kr != nil {
					t.Fatalf("NewKeyring = %v, %v; want nil, %v", kr, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewKeyring: %v", err)
			}
			if got := kr.GetKeys(); !keysEqual(got, tc.want) {
				t.Fatalf("GetKeys = %x, want %x", got, tc.want)
			}
			var wantPrimary []byte
			if len(tc.want) > 0 {
				wantPrimary = tc.want[0]
			}
			if got := kr.GetPrimaryKey(); !bytes.Equal(got, wantPrimary) {
				t.Fatalf("GetPrimaryKey = %x, want %x", got, wantPrimary)
			}
		})
	}
}

func TestKeyringRotation(t *testing.T) {
	k1, k2, k3 := testKey(1, 16), testKey(2, 16), testKey(3, 16)
	var kr Keyring // the zero value is an empty ring
	if kr.GetPrimaryKey() != nil || len(kr.GetKeys()) != 0 {
		t.Fatal("zero Keyring is not empty")
	}
	if err := kr.RemoveKey(k1); err != nil {
		t.Fatalf("RemoveKey on empty ring: %v", err)
	}
	if err := kr.UseKey(k1); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("UseKey on empty ring = %v, want ErrKeyNotFound", err)
	}
	if err := kr.AddKey(testKey(1, 5)); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("AddKey(5 bytes) = %v, want ErrInvalidKey", err)
	}

	steps := []struct {
		op      string
		key     []byte
		wantErr error
		want    [][]byte
	}{
		{"add", k1, nil, [][]byte{k1}}, // first key becomes primary
		{"add", k2, nil, [][]byte{k1, k2}},
		{"add", k2, nil, [][]byte{k1, k2}}, // no-op
		{"add", k3, nil, [][]byte{k1, k2, k3}},
		{"use", k3, nil, [][]byte{k3, k1, k2}},
		{"remove", k3, ErrRemovePrimaryKey, [][]byte{k3, k1, k2}},
		{"remove", k1, nil, [][]byte{k3, k2}},
		{"remove", k1, nil, [][]byte{k3, k2}}, // absent: no-op
		{"use", k1, ErrKeyNotFound, [][]byte{k3, k2}},
		{"use", k2, nil, [][]byte{k2, k3}},
	}
	for i, s := range steps {
		var err error
		switch s.op {
		case "add":
			err = kr.AddKey(s.key)
		case "use":
			err = kr.UseKey(s.key)
		case "remove":
			err = kr.RemoveKey(s.key)
		}
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil && err != nil) {
			t.Fatalf("step %d %s(%x) = %v, want %v", i, s.op, s.key[:1], err, s.wantErr)
		}
		if got := kr.GetKeys(); !keysEqual(got, s.want) {
			t.Fatalf("step %d %s: keys = %x, want %x", i, s.op, got, s.want)
		}
	}
}

func TestKeyringCopies(t *testing.T) {
	key := testKey(7, 16)
	kr, err := NewKeyring(nil, key)
	if err != nil {
		t.Fatal(err)
	}
	key[0] = 0xff // the caller reuses its slice
	kr.GetKeys()[0][1] = 0xff
	kr.GetPrimaryKey()[2] = 0xff
	if got := kr.GetPrimaryKey(); !bytes.Equal(got, testKey(7, 16)) {
		t.Fatalf("keyring shares memory with callers: %x", got)
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	primary := testKey(0, 32)
	kr, err := NewKeyring(nil, primary)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				key := testKey(byte(1+g*100+i%50), 16)
				if err := kr.AddKey(key); err != nil {
					t.Errorf("AddKey: %v", err)
					return
				}
				_ = kr.GetKeys()
				_ = kr.GetPrimaryKey()
				if err := kr.RemoveKey(key); err != nil {
					t.Errorf("RemoveKey: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := kr.GetKeys(); !keysEqual(got, [][]byte{primary}) {
		t.Fatalf("keys after concurrent add/remove = %d keys", len(got))
	}
}

func ExampleKeyring() {
	oldKey := bytes.Repeat([]byte{1}, 16)
	newKey := bytes.Repeat([]byte{2}, 16)
	kr, _ := NewKeyring(nil, oldKey)

	// Rotate: install the new key, switch to it, drop the old one.
	_ = kr.AddKey(newKey)
	_ = kr.UseKey(newKey)
	_ = kr.RemoveKey(oldKey)
	fmt.Println(len(kr.GetKeys()), kr.GetPrimaryKey()[0])
	// Output: 1 2
}

// TestKeyringEntriesSnapshot checks that a loaded key list does not change
// under the reader when the ring changes (the ring replaces its list).
func TestKeyringEntriesSnapshot(t *testing.T) {
	k1, k2, k3 := testKey(1, 16), testKey(2, 24), testKey(3, 32)
	kr, err := NewKeyring([][]byte{k2, k3}, k1)
	if err != nil {
		t.Fatal(err)
	}
	before := kr.entries()
	if err := kr.UseKey(k3); err != nil {
		t.Fatal(err)
	}
	if err := kr.RemoveKey(k1); err != nil {
		t.Fatal(err)
	}
	if err := kr.AddKey(testKey(4, 16)); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, e := range before {
		got = append(got, e.key)
	}
	if !keysEqual(got, [][]byte{k1, k2, k3}) {
		t.Fatalf("snapshot changed to %x", got)
	}
	if !keysEqual(kr.GetKeys(), [][]byte{k3, k2, testKey(4, 16)}) {
		t.Fatalf("keys %x", kr.GetKeys())
	}
	// The primary cipher follows UseKey: what it seals opens with k3 alone.
	sealed, err := encryptPayload(nil, kr, "", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decryptPayload(nil, mustKeyring(t, k3), "", sealed); err != nil {
		t.Fatalf("sealed with the old primary: %v", err)
	}
}

// TestKeyringConcurrentRotation seals and opens while another goroutine
// rotates keys (run with -race): every frame sealed with a key that is
// still installed opens.
func TestKeyringConcurrentRotation(t *testing.T) {
	keys := [][]byte{testKey(1, 16), testKey(2, 16), testKey(3, 16)}
	kr, err := NewKeyring(keys, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			if err := kr.UseKey(keys[i%len(keys)]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 200 {
		sealed, err := encryptPayload(nil, kr, "l", []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decryptPayload(nil, kr, "l", sealed); err != nil || string(got) != "payload" {
			t.Fatalf("open = %q, %v", got, err)
		}
	}
	wg.Wait()
}

// TestKeyringErrorTexts checks that the keyring's errors carry
// memberlist's texts, which applications match on: serf's key command
// reports a failed primary key removal by looking for "not allowed".
func TestKeyringErrorTexts(t *testing.T) {
	k1, k2 := testKey(1, 16), testKey(2, 16)
	ring, err := NewKeyring([][]byte{k2}, k1)
	if err != nil {
		t.Fatal(err)
	}
	_, errNoPrimary := NewKeyring([][]byte{k1}, nil)
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"RemoveKey(primary)", ring.RemoveKey(k1), "removing the primary key is not allowed"},
		{"UseKey(unknown)", ring.UseKey(testKey(3, 16)), "requested key is not in the keyring"},
		{"AddKey(15 bytes)", ring.AddKey(testKey(3, 15)), "key size must be 16, 24 or 32 bytes"},
		{"NewKeyring(no primary)", errNoPrimary, "empty primary key not allowed"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s = %v, want an error containing %q", c.name, c.err, c.want)
		}
	}
}
