// Security: Keyring, the cluster's AES keys and their rotation (memberlist's
// API).

package hyparlist

import (
	"bytes"
	"crypto/cipher"
	"fmt"
	"slices"
	"sync"
)

// Keyring holds the symmetric keys of a cluster: one primary key, used to
// encrypt what this node sends and tried first when decrypting, and any
// number of secondary keys that are still accepted when decrypting. Keys
// are rotated without downtime by installing the new key everywhere
// (AddKey), switching every node to it (UseKey), then removing the old key
// (RemoveKey).
//
// A Keyring is safe for concurrent use. It copies the keys it is given and
// the keys it returns, so callers may reuse their slices. The zero value is
// an empty keyring.
type Keyring struct {
	mu sync.Mutex
	// keys holds the installed keys; keys[0] is the primary key. No two
	// entries have equal keys. The slice is replaced, never modified in
	// place, so a reader may keep one it loaded under mu.
	keys []keyEntry
}

// keyEntry is one installed key and its cipher, built once when the key is
// added so that encrypting and decrypting a frame costs no key setup.
type keyEntry struct {
	key  []byte
	aead cipher.AEAD
}

// NewKeyring returns a keyring holding keys, with primaryKey as the primary
// key. Call it in one of three ways:
//
//   - no keys and no primary key: an empty keyring (encryption disabled);
//   - only a primary key: a keyring holding just that key;
//   - keys and a primary key: a keyring holding all of them; primaryKey is
//     added if keys does not contain it.
//
// Keys present more than once are installed once. It fails with
// ErrInvalidKey if keys is not empty but primaryKey is, or if any key is not
// a valid AES key (see ValidateKey).
func NewKeyring(keys [][]byte, primaryKey []byte) (*Keyring, error) {
	k := &Keyring{}
	if len(keys) == 0 && len(primaryKey) == 0 {
		return k, nil
	}
	if len(primaryKey) == 0 {
		return nil, fmt.Errorf("new keyring: %d keys but empty primary key not allowed: %w", len(keys), ErrInvalidKey)
	}
	if err := k.AddKey(primaryKey); err != nil {
		return nil, fmt.Errorf("new keyring: primary key: %w", err)
	}
	for i, key := range keys {
		if err := k.AddKey(key); err != nil {
			return nil, fmt.Errorf("new keyring: key %d: %w", i, err)
		}
	}
	return k, nil
}

// ValidateKey reports whether key can be used as an AES key: it must be 16,
// 24 or 32 bytes long (AES-128, AES-192 or AES-256). It returns an error
// wrapping ErrInvalidKey otherwise.
func ValidateKey(key []byte) error {
	switch len(key) {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("key is %d bytes, key size must be 16, 24 or 32 bytes: %w", len(key), ErrInvalidKey)
}

// AddKey installs key on the ring so that messages encrypted with it can be
// decrypted. On an empty ring the key also becomes the primary key. Adding
// a key that is already installed changes nothing. It fails with
// ErrInvalidKey if key is not a valid AES key.
func (k *Keyring) AddKey(key []byte) error {
	if err := ValidateKey(key); err != nil {
		return fmt.Errorf("add key: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.indexLocked(key) >= 0 {
		return nil
	}
	aead, err := newAEAD(key)
	if err != nil {
		return fmt.Errorf("add key: %w", err)
	}
	k.keys = append(slices.Clip(k.keys), keyEntry{key: bytes.Clone(key), aead: aead})
	return nil
}

// UseKey makes an installed key the primary key: from now on this node
// encrypts with it. Every other node must already have the key installed.
// It fails with ErrKeyNotFound if key is not installed.
func (k *Keyring) UseKey(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := k.indexLocked(key)
	if i < 0 {
		return fmt.Errorf("use key: %w", ErrKeyNotFound)
	}
	// Move the key to the front, keeping the others in their order.
	keys := make([]keyEntry, 0, len(k.keys))
	keys = append(keys, k.keys[i])
	keys = append(keys, k.keys[:i]...)
	k.keys = append(keys, k.keys[i+1:]...)
	return nil
}

// RemoveKey uninstalls key: messages encrypted with it are no longer
// accepted. Removing a key that is not installed changes nothing. It fails
// with ErrRemovePrimaryKey if key is the primary key.
func (k *Keyring) RemoveKey(key []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch i := k.indexLocked(key); {
	case i == 0:
		return fmt.Errorf("remove key: %w", ErrRemovePrimaryKey)
	case i > 0:
		k.keys = slices.Concat(k.keys[:i], k.keys[i+1:])
	}
	return nil
}

// GetKeys returns copies of the installed keys, the primary key first.
func (k *Keyring) GetKeys() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([][]byte, len(k.keys))
	for i, e := range k.keys {
		out[i] = bytes.Clone(e.key)
	}
	return out
}

// GetPrimaryKey returns a copy of the primary key, or nil if the ring is
// empty.
func (k *Keyring) GetPrimaryKey() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.keys) == 0 {
		return nil
	}
	return bytes.Clone(k.keys[0].key)
}

// entries returns the installed keys, the primary key first. The slice is
// never modified: it stays valid, holding the keys of the moment it was
// loaded, while the ring changes.
func (k *Keyring) entries() []keyEntry {
	if k == nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys
}

// primaryAEAD returns the cipher of the primary key, or nil if the ring
// is nil or empty.
func (k *Keyring) primaryAEAD() cipher.AEAD {
	if keys := k.entries(); len(keys) > 0 {
		return keys[0].aead
	}
	return nil
}

// indexLocked returns the position of key on the ring, or -1. k.mu must be
// held.
func (k *Keyring) indexLocked(key []byte) int {
	return slices.IndexFunc(k.keys, func(e keyEntry) bool {
		return bytes.Equal(e.key, key)
	})
}
