package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/mokacheckout/checkout/internal/moka"
)

// A body in another charset is read by the charset of its Content-Type, as a .NET
// client sends it ("application/json; charset=utf-16" is UTF-16LE there). A byte order
// mark wins over the label. The Turkish letters of the holder's name prove the decoding:
// the detail answer gives them back.
func TestRequestCharsets(t *testing.T) {
	le, be := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	leBOM, beBOM := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	cases := []struct {
		name, contentType string
		enc               encoding.Encoding
	}{
		{"no charset", "application/json", unicode.UTF8},
		{"utf-8", "application/json; charset=utf-8", unicode.UTF8},
		{"utf-8 with BOM", "application/json; charset=utf-8", unicode.UTF8BOM},
		{"utf-8 BOM without charset", "application/json", unicode.UTF8BOM},
		{"utf-16 little-endian BOM without charset", "application/json", leBOM},
		{"utf-16 big-endian BOM without charset", "application/json", beBOM},
		{"utf-16 as .NET sends it", "application/json; charset=utf-16", le},
		{"utf-16, quoted, upper case", `application/json; charset="UTF-16"`, le},
		{"utf-16 with a little-endian BOM", "application/json; charset=utf-16", leBOM},
		{"utf-16 with a big-endian BOM", "application/json; charset=utf-16", beBOM},
		{"utf-16le", "application/json; charset=utf-16le", le},
		{"utf-16le with BOM", "application/json; charset=utf-16le", leBOM},
		{"utf-16be", "application/json; charset=utf-16be", be},
		{"utf-16be with BOM", "application/json; charset=utf-16be", beBOM},
		{"iso-8859-9 (Turkish)", "application/json; charset=iso-8859-9", charmap.ISO8859_9},
		{"windows-1254", "text/json; charset=windows-1254", charmap.Windows1254},
	}
	const holder = "Ayşe Yılmaz Çğüöİ"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			req := threeD("4183441122223339", "10")
			req.CardHolderFullName = holder
			out := s.postEncoded(moka.PathThreeD, tc.contentType, tc.enc, moka.Envelope[any]{PaymentDealerAuthentication: demoAuth(), PaymentDealerRequest: req})
			isSuccess(t, out)
			assert.Equal(t, holder, s.detail(req.OtherTrxCode).PaymentDetail.CardHolderFullName)
		})
	}

	t.Run("DoCreateRefundRequest reads its charset too", func(t *testing.T) {
		s := startSandbox(t)
		out := s.postEncoded(moka.PathCreateRefundRequest, "application/json; charset=utf-16", le, moka.Envelope[any]{
			PaymentDealerAuthentication: demoAuth(),
			PaymentDealerRequest: moka.RefundRequest{VirtualPosOrderID: SeedRefundOrderID, Amount: dec("1"),
				SubDealer: []moka.SubDealerPart{{DealerID: 1772, Amount: amt("1")}}},
		})
		isSuccess(t, out)
	})

	refused := []struct {
		name, contentType string
		enc               encoding.Encoding
		code              string
	}{
		{"unknown charset", "application/json; charset=klingon", unicode.UTF8, authPrefix + "InvalidRequest"},
		{"UTF-16 sent as utf-8", "application/json; charset=utf-8", le, authPrefix + "InvalidRequest"},
		{"refund: unknown charset", "application/json; charset=x-none", unicode.UTF8, refundPrefix + "InvalidRequest"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			s := startSandbox(t)
			path := moka.PathThreeD
			if tc.code == refundPrefix+"InvalidRequest" {
				path = moka.PathCreateRefundRequest
			}
			out := s.postEncoded(path, tc.contentType, tc.enc, moka.Envelope[any]{PaymentDealerAuthentication: demoAuth(), PaymentDealerRequest: threeD("4183441122223339", "10")})
			assert.Equal(t, tc.code, out.ResultCode)
		})
	}

	for _, ct := range []string{"application/json", "application/json; charset=utf-8"} {
		t.Run("a body over 1 MiB: "+ct, func(t *testing.T) {
			s := startSandbox(t)
			req := threeD("4183441122223339", "10")
			req.CardHolderFullName = strings.Repeat("a", maxRequestBytes)
			out := s.postEncoded(moka.PathThreeD, ct, unicode.UTF8, moka.Envelope[any]{PaymentDealerAuthentication: demoAuth(), PaymentDealerRequest: req})
			assert.Equal(t, authPrefix+"InvalidRequest", out.ResultCode)
		})
	}
}

// postEncoded sends body as JSON encoded with enc under contentType and decodes the answer.
func (s *sandbox) postEncoded(path, contentType string, enc encoding.Encoding, body any) raw {
	s.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(s.t, err)
	encoded, err := enc.NewEncoder().Bytes(b)
	require.NoError(s.t, err)
	resp, err := http.Post(s.url+path, contentType, bytes.NewReader(encoded))
	require.NoError(s.t, err)
	defer resp.Body.Close()
	require.Equal(s.t, http.StatusOK, resp.StatusCode)
	var out raw
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}
