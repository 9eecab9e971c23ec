package checkout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The 3-D URL check compares origins as browsers do: case and the scheme's default port
// do not make two origins differ.
func TestBankOriginsCompareAsBrowsersDo(t *testing.T) {
	origins := bankOrigins(Merchant{
		MokaBaseURL:   "https://Service.RefMokaUnited.com:443",
		ThreeDOrigins: []string{"HTTPS://3D.Example.com", "http://127.0.0.1:8081"},
	})
	assert.Equal(t, []string{"https://service.refmokaunited.com", "https://3d.example.com", "http://127.0.0.1:8081"}, origins)
	for raw, want := range map[string]string{
		"https://service.refmokaunited.com/3d/abc?x=1": "https://service.refmokaunited.com",
		"https://SERVICE.refmokaunited.com:443/3d":     "https://service.refmokaunited.com",
		"http://127.0.0.1:8081/bank/3d/t":              "http://127.0.0.1:8081",
		"http://127.0.0.1:80/x":                        "http://127.0.0.1",
		"https://[::1]:8443/x":                         "https://[::1]:8443",
		"/relative":                                    "",
	} {
		assert.Equal(t, want, originOf(raw), raw)
	}
}
