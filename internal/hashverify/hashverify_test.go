package hashverify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/hashverify"
)

// Moka's published example.
const (
	mokaCode = "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC"
	mokaT    = "cdb7869505bdaaac2f4c891fc9ed889885fd7a0c880127ab5d508883efa3ee83"
	mokaF    = "acc929d261fdbf9c41de3db1ae854b1ee1e46344fad0292fd4bbbc43d094c2a3"
)

func TestExpectedMatchesMokaVectors(t *testing.T) {
	assert.Equal(t, mokaT, hashverify.Expected(mokaCode, true))
	assert.Equal(t, mokaF, hashverify.Expected(mokaCode, false))
	assert.Equal(t, mokaT, hashverify.Expected(strings.ToLower(mokaCode), true))
}

func TestCheck(t *testing.T) {
	other := "1B4E28BA-2FA1-11D2-883F-0016D3CCA427"
	tests := []struct {
		name      string
		code      string
		hash      string
		want      hashverify.Result
		wantError bool
	}{
		{name: "success vector", code: mokaCode, hash: mokaT, want: hashverify.Success},
		{name: "failure vector", code: mokaCode, hash: mokaF, want: hashverify.Failure},
		{name: "lowercase code", code: strings.ToLower(mokaCode), hash: mokaT, want: hashverify.Success},
		{name: "padded code", code: "  " + mokaCode + "\n", hash: mokaF, want: hashverify.Failure},
		{name: "uppercase hash", code: mokaCode, hash: strings.ToUpper(mokaT), want: hashverify.Success},
		{name: "padded hash", code: mokaCode, hash: " \t" + strings.ToUpper(mokaF) + " \r\n", want: hashverify.Failure},
		{name: "empty hash", code: mokaCode, hash: "", wantError: true},
		{name: "empty code", code: "", hash: mokaT, wantError: true},
		{name: "blank code", code: "   ", hash: hashverify.Expected("   ", true), wantError: true},
		{name: "truncated hash", code: mokaCode, hash: mokaT[:63], wantError: true},
		{name: "extended hash", code: mokaCode, hash: mokaT + "0", wantError: true},
		{name: "other code's success", code: mokaCode, hash: hashverify.Expected(other, true), wantError: true},
		{name: "other code's failure", code: mokaCode, hash: hashverify.Expected(other, false), wantError: true},
		{name: "raw code", code: mokaCode, hash: mokaCode, wantError: true},
		{name: "isSuccessful style", code: mokaCode, hash: "True", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hashverify.Check(tt.code, tt.hash)
			if tt.wantError {
				require.ErrorIs(t, err, hashverify.ErrInvalid)
				assert.NotEqual(t, hashverify.Success, got)
				assert.NotEqual(t, hashverify.Failure, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(mokaCode, mokaT)
	f.Add(mokaCode, mokaF)
	f.Add(strings.ToLower(mokaCode), strings.ToUpper(mokaT))
	f.Add("", mokaT)
	f.Add(mokaCode, mokaT[:10])
	f.Fuzz(func(t *testing.T, code, hash string) {
		got, err := hashverify.Check(code, hash)
		// The oracle is computed here, independently of the package, from Moka's rule.
		norm := strings.ToLower(strings.TrimSpace(hash))
		want := func(suffix string) string {
			sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(code)) + suffix))
			return hex.EncodeToString(sum[:])
		}
		isT := strings.TrimSpace(code) != "" && norm == want("T")
		isF := strings.TrimSpace(code) != "" && norm == want("F")
		switch {
		case isT:
			require.NoError(t, err)
			require.Equal(t, hashverify.Success, got)
		case isF:
			require.NoError(t, err)
			require.Equal(t, hashverify.Failure, got)
		default:
			require.ErrorIs(t, err, hashverify.ErrInvalid)
			require.NotEqual(t, hashverify.Success, got)
		}
	})
}
