package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

// seed loads a sample request copied verbatim from the Moka seed pages and swaps in the
// demo authentication block, as a merchant following the docs would.
func seed(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	a := demoAuth()
	m["PaymentDealerAuthentication"] = map[string]any{
		"DealerCode": a.DealerCode, "Username": a.Username, "Password": a.Password, "CheckKey": a.CheckKey,
	}
	return m
}

func seedReq(m map[string]any) map[string]any { return m["PaymentDealerRequest"].(map[string]any) }

func TestSeedThreeDMarketPlaceSamples(t *testing.T) {
	for i := 1; i <= 6; i++ {
		t.Run("scenario "+strconv.Itoa(i), func(t *testing.T) {
			s := startSandbox(t)
			m := seed(t, "threed_marketplace_"+strconv.Itoa(i)+".json")
			seedReq(m)["ExpYear"] = strconv.Itoa(time.Now().Year() + 1)
			out := s.post(moka.PathThreeDMarketPlace, m)
			isSuccess(t, out)
			var res moka.ThreeDResult
			require.NoError(t, json.Unmarshal(out.Data, &res))
			assert.Regexp(t, `^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`, res.CodeForHash)
			assert.Regexp(t, `^`+s.url+`/bank/3d/[0-9a-f]{48}$`, res.URL)
		})
	}
}

// paidMarketplace creates a paid (or pre-authorised / pool) marketplace payment and
// returns its VirtualPosOrderId.
func (s *sandbox) paidMarketplace(amount string, subs map[int64]string, preAuth, pool bool) (moka.ThreeDRequest, string) {
	s.t.Helper()
	req := threeD("4183441122223339", amount)
	req.CommissionScenario = 1
	for _, id := range []int64{166, 167, 1738, 1744, 1767, 1768, 1770, 1772, 1774, 1787, 1788} {
		if a, ok := subs[id]; ok {
			req.SubDealer = append(req.SubDealer, moka.SubDealer{DealerID: moka.Int(id), Amount: dec(a)})
		}
	}
	if preAuth {
		req.IsPreAuth = 1
	}
	if pool {
		req.IsPoolPayment = 1
	}
	_, ret := s.pay(moka.PathThreeDMarketPlace, req, DemoOTP)
	require.True(s.t, ret.found)
	require.Empty(s.t, ret.resultCode)
	return req, ret.trxCode
}

func TestSeedCaptureSample(t *testing.T) {
	s := startSandbox(t)
	_, vpos := s.paidMarketplace("1", map[int64]string{1774: "1"}, true, false)
	m := seed(t, "capture_1.json")
	seedReq(m)["VirtualPosOrderId"] = vpos
	out := s.post(moka.PathCapture, m)
	isSuccess(t, out)
	assert.JSONEq(t, `{"IsSuccessful":true,"ResultCode":"00","ResultMessage":""}`, string(out.Data))
}

func TestSeedApproveSample(t *testing.T) {
	s := startSandbox(t)
	_, vpos := s.paidMarketplace("10", map[int64]string{1787: "4", 1788: "6"}, false, true)
	m := seed(t, "approve_1.json")
	seedReq(m)["VirtualPosOrderId"] = vpos
	out := s.post(moka.PathApprovePoolPayment, m)
	isSuccess(t, out)
	assert.JSONEq(t, `{"IsSuccessful":true,"ResultCode":"","ResultMessage":"","VirtualPosOrderId":"`+vpos+`"}`, string(out.Data))
}

func TestSeedRefundSample(t *testing.T) {
	s := startSandbox(t)
	_, vpos := s.paidMarketplace("5", map[int64]string{1772: "2", 1774: "3"}, false, false)
	m := seed(t, "refund_1.json")
	seedReq(m)["VirtualPosOrderId"] = vpos
	out := s.post(moka.PathCreateRefundRequest, m)
	isSuccess(t, out)
	var res moka.BankResult
	require.NoError(t, json.Unmarshal(out.Data, &res))
	assert.True(t, res.IsSuccessful)
	assert.NotEmpty(t, res.RefundRequestID)
}

func TestSeedTrxListSample(t *testing.T) {
	s := startSandbox(t)
	req, _ := s.paidMarketplace("5", map[int64]string{1772: "2", 1774: "3"}, false, false)
	m := seed(t, "trxlist_1.json")
	now := time.Now().In(istanbul)
	seedReq(m)["TrxStartDate"] = now.Add(-time.Hour).Format("2006-01-02 15:04")
	seedReq(m)["TrxEndDate"] = now.Add(time.Hour).Format("2006-01-02 15:04")
	out := s.post(moka.PathPaymentTrxList, m)
	isSuccess(t, out)
	var res moka.TrxListResult
	require.NoError(t, json.Unmarshal(out.Data, &res))
	require.Len(t, res.PaymentTrxList, 1)
	p := res.PaymentTrxList[0]
	assert.Equal(t, req.OtherTrxCode, p.PaymentDetail.OtherTrxCode)
	require.Len(t, p.PaymentTrxDetailList, 1)
	assert.Equal(t, moka.Int(moka.TrxTypePayment), p.PaymentTrxDetailList[0].TrxType)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$`, p.PaymentTrxDetailList[0].TrxDate)
}
