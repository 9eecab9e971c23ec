package orders

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Sealing of the attempts' CodeForHash.
//
// Moka's CodeForHash is the only secret behind a bank return: whoever reads it can compute
// the hashValue of a verified success. The store therefore never writes it in plain text
// when it has a key (Options.SealKey): MarkRedirected stores
//
//	v1:<base64 (standard, padded) of nonce || AES-256-GCM ciphertext and tag>
//
// with a random 12-byte nonce and the attempt's id as the additional data, so a sealed
// value copied onto another attempt does not open. Every read of an attempt opens it
// again, so callers see the plain CodeForHash as before.
//
// A stored value without the "v1:" prefix is a plain one written before sealing (or by a
// store without a key) and is read as it is: existing databases keep working, and their
// attempts still at the bank can still be verified. A sealed value that does not open (a
// wrong key, a value moved or altered) is an error for the read, never an empty or a plain
// value; so is a sealed value read by a store without a key. OpenWith tries the key on the
// newest sealed value and refuses to open the database if it does not fit.

// SealKeySize is the length of Options.SealKey: AES-256.
const SealKeySize = 32

const sealPrefix = "v1:"

// ErrSealKey is wrapped by the errors of a sealed CodeForHash that cannot be opened.
var ErrSealKey = errors.New("sealed code_for_hash does not open: wrong code_for_hash key, or the value was moved or altered")

type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("seal key is %d bytes, want %d", len(key), SealKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns the stored form of an attempt's CodeForHash. Without a sealer (no key) it
// is the plain value.
func (s *sealer) seal(attemptID, plain string) (string, error) {
	if s == nil || plain == "" {
		return plain, nil
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal code_for_hash: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(attemptID))
	return sealPrefix + base64.StdEncoding.EncodeToString(out), nil
}

// open returns the plain CodeForHash of a stored value: a plain value as it is, a sealed
// one opened with the attempt's id.
func (s *sealer) open(attemptID, stored string) (string, error) {
	body, sealed := strings.CutPrefix(stored, sealPrefix)
	if !sealed {
		return stored, nil // written before sealing, or by a store without a key
	}
	if s == nil {
		return "", fmt.Errorf("attempt %s: the code_for_hash is sealed and the store has no code_for_hash key", attemptID)
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return "", fmt.Errorf("attempt %s: %w", attemptID, ErrSealKey)
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(attemptID))
	if err != nil {
		return "", fmt.Errorf("attempt %s: %w", attemptID, ErrSealKey)
	}
	return string(plain), nil
}

// sealers maps the handles the store reads attempts through (its read pool, and each
// transaction while it runs) to the store's sealer, so that loadAttempts, which is given
// only a querier, opens CodeForHash with the key of the store it reads for. A store
// without a key registers nothing.
var sealers sync.Map // querier -> *sealer

func sealerOf(q querier) *sealer {
	if v, ok := sealers.Load(q); ok {
		return v.(*sealer)
	}
	return nil
}

// checkSealKey refuses a key that does not open the newest sealed CodeForHash of the
// database: a lost or replaced key must stop the start, not every bank return later.
func (s *Store) checkSealKey(ctx context.Context) error {
	if s.seal == nil {
		return nil
	}
	var id, stored string
	err := s.w.QueryRowContext(ctx, `SELECT id, code_for_hash FROM attempts
		WHERE code_for_hash LIKE 'v1:%' ORDER BY rowid DESC LIMIT 1`).Scan(&id, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check code_for_hash key: %w", err)
	}
	if _, err := s.seal.open(id, stored); err != nil {
		return fmt.Errorf("check code_for_hash key: %w", err)
	}
	return nil
}

// LoadOrCreateKeyFile returns the 32-byte key kept in the file at path (64 hex digits,
// optionally followed by a newline). When the file does not exist it makes a random key
// and writes it there, readable and writable by its owner only, creating the directory if
// needed; two processes racing to create it end up with the same key. A file that exists
// but holds anything else is an error: the key of the sealed values in the database
// would be lost.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, SealKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make key %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("make key %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("make key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("make key %s: %w", path, err)
	}
	// A hard link never replaces an existing file: whoever links first wins, and the
	// others read the winner's key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, fmt.Errorf("make key %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the new name survives a power cut with the database
		d.Close()
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != SealKeySize {
		return nil, fmt.Errorf("key file %s is malformed: want %d bytes as %d hex digits; refusing to replace it (it seals the attempts in the database)",
			path, SealKeySize, 2*SealKeySize)
	}
	return key, nil
}
