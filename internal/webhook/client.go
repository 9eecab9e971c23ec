package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrAddressRefused is wrapped by the dial error of a webhook URL that resolves to an
// address a merchant must not make us call (SSRF): loopback, private, link-local and the
// like.
var ErrAddressRefused = errors.New("webhook address refused")

// refusedPrefixes are the special-purpose ranges that netip's predicates do not cover
// but that lead into our own network or nowhere public.
var refusedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT; some clouds' metadata services
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use IPv4/IPv6 translation
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:10::/28"),    // ORCHID
	netip.MustParsePrefix("2001::/32"),       // Teredo: tunnels to any IPv4 address
	netip.MustParsePrefix("2002::/16"),       // 6to4: likewise
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
}

// refusal says why addr may not be called, or "" when it may.
func refusal(addr netip.Addr) string {
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !addr.IsValid():
		return "not an IP address"
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsPrivate():
		return "a private address"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "a link-local address"
	case addr.IsUnspecified():
		return "the unspecified address"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	// NAT64 maps IPv4 into 64:ff9b::/96: judge the IPv4 address inside.
	if addr.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(addr) {
		b := addr.As16()
		return refusal(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range refusedPrefixes {
		if p.Contains(addr) {
			return "a reserved address"
		}
	}
	return ""
}

// dialControl runs after DNS resolution and before each connection is made, with the
// address actually dialled: a name that resolves to a public address when the URL is
// checked and to 127.0.0.1 when it is called (DNS rebinding) is still refused.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrAddressRefused, address, err)
	}
	if why := refusal(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrAddressRefused, ap.Addr(), why)
	}
	return nil
}

// NewClient returns the HTTP client deliveries are made with. It follows no redirect (a
// 3xx is a failed try: the merchant should fix the URL), ignores proxy settings from the
// environment (a proxy would dial on our behalf, past the address check) and, unless
// allowPrivate (demo mode), refuses to connect to non-public addresses.
//
// It keeps up to idlePerHost idle connections to each receiver: the worker's bound on
// tries in flight, so that every try of a busy merchant finds the connection of an
// earlier one. With Go's default of 2, all but two of a merchant's concurrent tries
// dialled (and, over https, shook hands) again for each event. All receivers together
// keep at most four times that (the least recently used go first), so that many
// merchants' hosts do not hold a socket each for the 90 s an idle connection lives.
func NewClient(timeout time.Duration, allowPrivate bool, idlePerHost int) *http.Client {
	idlePerHost = max(idlePerHost, 2)
	dialer := &net.Dialer{Timeout: min(timeout, 5*time.Second), KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = dialControl
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   min(timeout, 5*time.Second),
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   idlePerHost,
			MaxIdleConns:          4 * idlePerHost,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkURL refuses a webhook URL that is not absolute https (http too when allowHTTP, in
// demo mode). Where it leads is checked when it is dialled.
func checkURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("webhook URL %q is not an absolute URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("webhook URL %q must not carry credentials", u.Redacted())
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !allowHTTP) {
		return fmt.Errorf("webhook URL %q must be https", u.Redacted())
	}
	return nil
}
