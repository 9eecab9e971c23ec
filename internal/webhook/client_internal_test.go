package webhook

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRefusal(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		refused bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"192.168.1.1", true},
		{"fd00::1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"fe80::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"100.100.100.200", true}, // carrier-grade NAT range, a cloud's metadata service
		{"::ffff:10.0.0.1", true}, // IPv4-mapped
		{"64:ff9b::a00:1", true},  // NAT64 of 10.0.0.1
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"2002:7f00:1::", true}, // 6to4 of 127.0.0.1
		{"93.184.215.14", false},
		{"64:ff9b::5db8:d70e", false}, // NAT64 of a public address
		{"2606:4700:4700::1111", false},
	} {
		why := refusal(netip.MustParseAddr(tc.addr))
		assert.Equal(t, tc.refused, why != "", "%s: %q", tc.addr, why)
	}
}

func TestCheckURL(t *testing.T) {
	assert.NoError(t, checkURL("https://shop.example/hooks", false))
	assert.Error(t, checkURL("http://shop.example/hooks", false))
	assert.NoError(t, checkURL("http://127.0.0.1:8082/webhooks", true))
	assert.Error(t, checkURL("https://user:pw@shop.example/hooks", false))
	assert.Error(t, checkURL("/hooks", true))
}
