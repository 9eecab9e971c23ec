package sandbox

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// seedSample is one sample request of the Moka seed pages, kept verbatim in testdata.
type seedSample struct {
	file string
	path string
	card bool // a card payment, whose 2020 expiry year must move to the future
	// check looks at a successful answer beyond its ResultCode.
	check func(t *testing.T, s *sandbox, out raw)
}

func seedSamples() []seedSample {
	threeDCheck := func(t *testing.T, s *sandbox, out raw) {
		var res moka.ThreeDResult
		require.NoError(t, json.Unmarshal(out.Data, &res))
		assert.Regexp(t, `^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`, res.CodeForHash)
		assert.Regexp(t, `^`+s.url+`/bank/3d/[0-9a-f]{48}$`, res.URL)
	}
	samples := []seedSample{}
	for i := 1; i <= 6; i++ {
		samples = append(samples, seedSample{"threed_marketplace_" + strconv.Itoa(i) + ".json", moka.PathThreeDMarketPlace, true, threeDCheck})
	}
	return append(samples,
		seedSample{"capture_1.json", moka.PathCapture, false, func(t *testing.T, _ *sandbox, out raw) {
			assert.JSONEq(t, `{"IsSuccessful":true,"ResultCode":"00","ResultMessage":""}`, string(out.Data))
		}},
		seedSample{"approve_1.json", moka.PathApprovePoolPayment, false, func(t *testing.T, _ *sandbox, out raw) {
			assert.JSONEq(t, `{"IsSuccessful":true,"ResultCode":"","ResultMessage":"","VirtualPosOrderId":"`+SeedApproveOrderID+`"}`, string(out.Data))
		}},
		seedSample{"refund_1.json", moka.PathCreateRefundRequest, false, func(t *testing.T, _ *sandbox, out raw) {
			var res moka.BankResult
			require.NoError(t, json.Unmarshal(out.Data, &res))
			assert.True(t, res.IsSuccessful)
			assert.NotEmpty(t, res.RefundRequestID)
		}},
		seedSample{"trxlist_1.json", moka.PathPaymentTrxList, false, func(t *testing.T, _ *sandbox, out raw) {
			var res moka.TrxListResult
			require.NoError(t, json.Unmarshal(out.Data, &res))
			// The sample's window (July 2020), TrxType 2 and TrxStatus 1 find the seed
			// payments that were paid, whatever the other samples did to them since.
			got := []string{}
			for _, p := range res.PaymentTrxList {
				require.NotEmpty(t, p.PaymentTrxDetailList)
				for _, trx := range p.PaymentTrxDetailList {
					assert.Equal(t, [2]moka.Int{moka.TrxTypePayment, moka.TrxStatusSuccess}, [2]moka.Int{trx.TrxType, trx.TrxStatus})
				}
				got = append(got, p.PaymentTrxDetailList[0].VirtualPosOrderID)
			}
			assert.ElementsMatch(t, []string{SeedApproveOrderID, SeedRefundOrderID, SeedListOrderID}, got)
		}},
	)
}

// load reads a sample and returns it twice: as written in the seed, and as sent, with
// the demo dealer's authentication block and, for a card, next year as the expiry year.
func (ss seedSample) load(t *testing.T) (verbatim, sent map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", ss.file))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &verbatim))
	require.NoError(t, json.Unmarshal(b, &sent))
	a := demoAuth()
	sent["PaymentDealerAuthentication"] = map[string]any{
		"DealerCode": a.DealerCode, "Username": a.Username, "Password": a.Password, "CheckKey": a.CheckKey,
	}
	if ss.card {
		sent["PaymentDealerRequest"].(map[string]any)["ExpYear"] = strconv.Itoa(time.Now().Year() + 1)
	}
	return verbatim, sent
}

// TestSeedSamplesChangeOnlyAuthAndExpiry proves what the samples test sends: the seed's
// request block as written, except a card's expiry year.
func TestSeedSamplesChangeOnlyAuthAndExpiry(t *testing.T) {
	for _, ss := range seedSamples() {
		verbatim, sent := ss.load(t)
		want := verbatim["PaymentDealerRequest"].(map[string]any)
		got := sent["PaymentDealerRequest"].(map[string]any)
		if ss.card {
			assert.Equal(t, "2020", want["ExpYear"], ss.file)
			assert.NotEqual(t, want["ExpYear"], got["ExpYear"], ss.file)
			delete(want, "ExpYear")
			delete(got, "ExpYear")
		}
		assert.Equal(t, want, got, ss.file)
		assert.Len(t, sent, 2, ss.file)
	}
}

// TestSeedSamplesSucceedInAnyOrder sends every seed sample, changed only as the test above
// proves, to one demo sandbox, in several orders: each succeeds whatever ran before it.
func TestSeedSamplesSucceedInAnyOrder(t *testing.T) {
	samples := seedSamples()
	n := len(samples)
	forward, reverse := make([]int, n), make([]int, n)
	for i := range forward {
		forward[i], reverse[i] = i, n-1-i
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("random orders from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	orders := map[string][]int{"forward": forward, "reverse": reverse}
	for i := 0; i < 3; i++ {
		orders["random "+strconv.Itoa(i)] = rng.Perm(n)
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			s := startSandbox(t)
			for _, i := range order {
				ss := samples[i]
				_, sent := ss.load(t)
				out := s.post(ss.path, sent)
				if assert.Equal(t, moka.ResultSuccess, out.ResultCode, "%s after %v: %s", ss.file, order, out.ResultMessage) {
					ss.check(t, s, out)
				}
			}
		})
	}
}

// The demo sandbox serves the seed samples as the checkout binary starts it, with its
// own refund delay and clock.
func TestDemoConfigServesSeedSamples(t *testing.T) {
	s := startSandbox(t, func(c *Config) { *c = DemoConfig(c.PublicURL) })
	for _, ss := range seedSamples() {
		_, sent := ss.load(t)
		isSuccess(t, s.post(ss.path, sent))
	}
}
