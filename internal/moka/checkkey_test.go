package moka_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mokacheckout/checkout/internal/moka"
)

func TestCheckKey(t *testing.T) {
	// Computed independently from the literal the seed describes:
	// DealerCode + "MK" + Username + "PD" + Password.
	sum := sha256.Sum256([]byte("dealer-1MKapi-userPDs3cret"))
	assert.Equal(t, hex.EncodeToString(sum[:]), moka.CheckKey("dealer-1", "api-user", "s3cret"))

	// The seed samples' placeholder credentials xxx/xxx/xxx. The seeds' own CheckKey values
	// (7c662eb7... and 28ba1f31...) are not the hash of these placeholders: they were made
	// with real credentials that the samples blanked out, so only our computation is checked.
	assert.Equal(t, "68d0ce4345d284aa4e5fac4d0d7f27e5d0ed7f83002e16651f050f467efe14d0", moka.CheckKey("xxx", "xxx", "xxx"))
	assert.NotEqual(t, "7c662eb7d85e9ec954ba3265d2fff6204e05d878de828ed2cdb3f0627acf4cc8", moka.CheckKey("xxx", "xxx", "xxx"))
}

func TestCredentialsAuthentication(t *testing.T) {
	a := testCreds.Authentication()
	assert.Equal(t, moka.Authentication{
		DealerCode: "dealer-1",
		Username:   "api-user",
		Password:   "s3cret",
		CheckKey:   moka.CheckKey("dealer-1", "api-user", "s3cret"),
	}, a)
}
