package moka

import (
	"crypto/sha256"
	"encoding/hex"
)

// CheckKey is Moka's request signature: the lowercase hex SHA-256 of
// DealerCode + "MK" + Username + "PD" + Password. Moka compares it with its own
// computation, so a wrong password shows up as CheckPaymentDealerAuthentication.InvalidRequest.
func CheckKey(dealerCode, username, password string) string {
	sum := sha256.Sum256([]byte(dealerCode + "MK" + username + "PD" + password))
	return hex.EncodeToString(sum[:])
}

// Authentication builds the PaymentDealerAuthentication block every request carries.
func (c Credentials) Authentication() Authentication {
	return Authentication{
		DealerCode: c.DealerCode,
		Username:   c.Username,
		Password:   c.Password,
		CheckKey:   CheckKey(c.DealerCode, c.Username, c.Password),
	}
}
