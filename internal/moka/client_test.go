package moka_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mokacheckout/checkout/internal/moka"
)

const threeDOK = `{"Data":{"Url":" https://bank.example/3d?t=1 ","CodeForHash":" 9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC "},"ResultCode":"Success","ResultMessage":"","Exception":null}`

func TestStartThreeDSendsEnvelope(t *testing.T) {
	f := newFakeMoka(t, http.StatusOK, []byte(threeDOK))
	res, err := f.client().StartThreeD(context.Background(), validThreeD())
	require.NoError(t, err)
	assert.Equal(t, "https://bank.example/3d?t=1", res.URL)
	assert.Equal(t, "9FDFBDFC-42C5-417E-AA93-E4D9D5312AAC", res.CodeForHash)

	hits, path, body := f.received()
	assert.Equal(t, 1, hits)
	assert.Equal(t, moka.PathThreeD, path)
	assert.Equal(t, "application/json", f.header.Get("Content-Type"))
	// 7.50 goes out as the bare number 7.50, never a string and never through float64.
	assert.Contains(t, string(body), `"Amount":7.50,`)

	var sent struct {
		PaymentDealerAuthentication map[string]string
		PaymentDealerRequest        map[string]any
	}
	require.NoError(t, json.Unmarshal(body, &sent))
	assert.Equal(t, map[string]string{
		"DealerCode": "dealer-1", "Username": "api-user", "Password": "s3cret",
		"CheckKey": moka.CheckKey("dealer-1", "api-user", "s3cret"),
	}, sent.PaymentDealerAuthentication)
	assert.NotContains(t, sent.PaymentDealerRequest, "SubDealer")
	assert.NotContains(t, sent.PaymentDealerRequest, "CommissionScenario")
}

func TestStartThreeDMarketPlaceSendsSubDealers(t *testing.T) {
	f := newFakeMoka(t, http.StatusOK, []byte(threeDOK))
	_, err := f.client().StartThreeDMarketPlace(context.Background(), validMarket())
	require.NoError(t, err)
	_, path, body := f.received()
	assert.Equal(t, moka.PathThreeDMarketPlace, path)
	assert.Contains(t, string(body), `"CommissionScenario":2,`)
	assert.Contains(t, string(body), `{"DealerId":166,"Amount":3.00,"DealerCommissionRate":2.00}`)
}

func TestValidationErrorMakesNoCall(t *testing.T) {
	f := newFakeMoka(t, http.StatusOK, []byte(threeDOK))
	c := f.client()
	ctx := context.Background()

	bad := validThreeD()
	bad.Amount = amt("0")
	_, err := c.StartThreeD(ctx, bad)
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)

	// The plain service refuses marketplace fields; the marketplace one requires them.
	_, err = c.StartThreeD(ctx, validMarket())
	var ve *moka.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "CommissionScenario", ve.Field)
	_, err = c.StartThreeDMarketPlace(ctx, validThreeD())
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "CommissionScenario", ve.Field)

	_, err = c.Capture(ctx, moka.CaptureRequest{Amount: amt("1")})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)
	_, err = c.ApprovePoolPayment(ctx, moka.ApproveRequest{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)
	_, err = c.UndoApprovePoolPayment(ctx, moka.ApproveRequest{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)
	_, err = c.CreateRefundRequest(ctx, moka.RefundRequest{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)
	_, err = c.Void(ctx, moka.VoidRequest{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)
	_, err = c.PaymentTrxList(ctx, moka.TrxListRequest{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)
	_, err = c.PaymentDetail(ctx, moka.PaymentDetailRequest{})
	assert.ErrorIs(t, err, moka.ErrInvalidRequest)

	hits, _, _ := f.received()
	assert.Zero(t, hits, "no request may reach Moka")
}

func TestBankRefusalIsAnError(t *testing.T) {
	answer := `{"Data":{"IsSuccessful":false,"ResultCode":" 05 ","ResultMessage":" Do not honour "},"ResultCode":"Success","ResultMessage":"","Exception":null}`
	f := newFakeMoka(t, http.StatusOK, []byte(answer))
	_, err := f.client().Capture(context.Background(), moka.CaptureRequest{
		VirtualPosOrderID: "ORDER-1", Amount: amt("1"), SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amtp("1")}},
	})
	var me *moka.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, &moka.Error{Service: "DoCapture", ResultCode: "05", ResultMessage: "Do not honour", Bank: true}, me)
	assert.True(t, moka.IsCode(err, "05"))
	assert.False(t, moka.IsCode(err, "00"))
}

func TestVoidSendsDefaultReasonAndTrimsAnswer(t *testing.T) {
	answer := `{"Data":{"IsSuccessful":true,"ResultCode":"00","ResultMessage":"","VirtualPosOrderId":" ORDER-17131QMlH04026199"},"ResultCode":"Success ","ResultMessage":"","Exception":null}`
	f := newFakeMoka(t, http.StatusOK, []byte(answer))
	res, err := f.client().Void(context.Background(), moka.VoidRequest{VirtualPosOrderID: "ORDER-17131QMlH04026199", ClientIP: "203.0.113.7"})
	require.NoError(t, err)
	assert.Equal(t, "ORDER-17131QMlH04026199", res.VirtualPosOrderID)
	_, path, body := f.received()
	assert.Equal(t, moka.PathVoid, path)
	assert.Contains(t, string(body), `"VoidRefundReason":2`)
}

func TestPaymentDetailTrimsAnswer(t *testing.T) {
	answer := `{"Data":{"PaymentDetail":{"DealerPaymentId":27,"OtherTrxCode":" att_1 ","Amount":"150.00","CurrencyCode":"TL ","PaymentStatus":2,"TrxStatus":1},
	"PaymentTrxDetailList":[{"TrxCode":" Test-1 ","VirtualPosOrderId":" ORDER-1","TrxType":2,"TrxStatus":1,"Amount":150.00}]},"ResultCode":"Success","ResultMessage":"","Exception":null}`
	f := newFakeMoka(t, http.StatusOK, []byte(answer))
	res, err := f.client().PaymentDetail(context.Background(), moka.PaymentDetailRequest{OtherTrxCode: "att_1"})
	require.NoError(t, err)
	assert.Equal(t, "att_1", res.PaymentDetail.OtherTrxCode)
	assert.Equal(t, "TL", res.PaymentDetail.CurrencyCode)
	assert.Equal(t, "150.00", res.PaymentDetail.Amount.StringFixed(2))
	require.Len(t, res.PaymentTrxDetailList, 1)
	assert.Equal(t, "Test-1", res.PaymentTrxDetailList[0].TrxCode)
	assert.Equal(t, "ORDER-1", res.PaymentTrxDetailList[0].VirtualPosOrderID)
	_, path, _ := f.received()
	assert.Equal(t, moka.PathDealerPaymentTrxList, path)
}

func TestUnusableAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		answer string
		want   error
	}{
		{"HTTP 500", http.StatusInternalServerError, `{"ResultCode":"Success"}`, moka.ErrUnavailable},
		{"HTTP 503 HTML", http.StatusServiceUnavailable, `<html>down</html>`, moka.ErrUnavailable},
		{"not JSON", http.StatusOK, `<html>maintenance</html>`, moka.ErrMalformedResponse},
		{"JSON without ResultCode", http.StatusOK, `{"Data":{"Url":"https://bank.example/3d","CodeForHash":"X"}}`, moka.ErrMalformedResponse},
		{"blank ResultCode", http.StatusOK, `{"Data":null,"ResultCode":"  "}`, moka.ErrMalformedResponse},
		{"Success without Data", http.StatusOK, `{"Data":null,"ResultCode":"Success"}`, moka.ErrMalformedResponse},
		{"bare URL instead of hash data", http.StatusOK, `{"Data":"https://bank.example/3d","ResultCode":"Success"}`, moka.ErrMalformedResponse},
		{"no CodeForHash", http.StatusOK, `{"Data":{"Url":"https://bank.example/3d","CodeForHash":" "},"ResultCode":"Success"}`, moka.ErrMalformedResponse},
		{"no Url", http.StatusOK, `{"Data":{"Url":"","CodeForHash":"X"},"ResultCode":"Success"}`, moka.ErrMalformedResponse},
		{"script Url", http.StatusOK, `{"Data":{"Url":"javascript:alert(1)","CodeForHash":"X"},"ResultCode":"Success"}`, moka.ErrMalformedResponse},
		{"answer over 8 MiB", http.StatusOK, `{"ResultCode":"Success","Data":{"Url":"https://bank.example/3d","CodeForHash":"` + strings.Repeat("A", 8<<20) + `"}}`, moka.ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeMoka(t, tt.status, []byte(tt.answer))
			_, err := f.client().StartThreeD(context.Background(), validThreeD())
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			if tt.status != http.StatusOK {
				var se *moka.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.status, se.StatusCode)
			}
			var me *moka.Error
			assert.False(t, errors.As(err, &me), "an unusable answer is not Moka's refusal")
		})
	}
}

// A refusal keeps its ResultCode whatever Data holds: Moka's failures carry Data null in
// the seeds, but a code must not be lost to an answer that sends "", [], a string or an
// object instead.
func TestRefusalKeepsCodeWhateverData(t *testing.T) {
	for _, data := range []string{`null`, `""`, `[]`, `"VirtualPosNotFound"`, `{}`, `0`, `{"IsSuccessful":"no"}`} {
		t.Run(data, func(t *testing.T) {
			answer := `{"Data":` + data + `,"ResultCode":"PaymentDealer.CheckPaymentDealerAuthentication.VirtualPosNotFound ","ResultMessage":"no pos","Exception":null}`
			f := newFakeMoka(t, http.StatusOK, []byte(answer))
			_, err := f.client().StartThreeD(context.Background(), validThreeD())
			var me *moka.Error
			require.ErrorAs(t, err, &me)
			assert.Equal(t, "PaymentDealer.CheckPaymentDealerAuthentication.VirtualPosNotFound", me.ResultCode)
			assert.Equal(t, "no pos", me.ResultMessage)
			assert.NotErrorIs(t, err, moka.ErrMalformedResponse)

			// The same holds for the services whose Data is the bank's answer.
			f = newFakeMoka(t, http.StatusOK, []byte(`{"Data":`+data+`,"ResultCode":"EX","ResultMessage":"","Exception":"boom"}`))
			_, err = f.client().Capture(context.Background(), moka.CaptureRequest{
				VirtualPosOrderID: "ORDER-1", Amount: amt("1"), SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amtp("1")}},
			})
			require.ErrorAs(t, err, &me)
			assert.Equal(t, "EX", me.ResultCode)
			assert.False(t, me.Bank)
		})
	}
}

// A Success whose Data has the wrong shape is unusable, not a refusal.
func TestSuccessWithWrongData(t *testing.T) {
	for _, data := range []string{`""`, `[]`, `"text"`, `7`} {
		t.Run(data, func(t *testing.T) {
			f := newFakeMoka(t, http.StatusOK, []byte(`{"Data":`+data+`,"ResultCode":"Success","ResultMessage":"","Exception":null}`))
			_, err := f.client().Capture(context.Background(), moka.CaptureRequest{
				VirtualPosOrderID: "ORDER-1", Amount: amt("1"), SubDealer: []moka.SubDealerPart{{DealerID: 1774, Amount: amtp("1")}},
			})
			assert.ErrorIs(t, err, moka.ErrMalformedResponse)
			var me *moka.Error
			assert.False(t, errors.As(err, &me))
		})
	}
}

func TestSlowMokaTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	c := moka.New(srv.URL, testCreds, moka.WithTimeout(50*time.Millisecond))
	_, err := c.StartThreeD(context.Background(), validThreeD())
	assert.ErrorIs(t, err, moka.ErrTimeout)
	assert.NotErrorIs(t, err, moka.ErrUnavailable)

	// The caller's own deadline counts the same, also with a client of the caller's choosing.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c = moka.New(srv.URL, testCreds, moka.WithHTTPClient(&http.Client{}))
	_, err = c.PaymentDetail(ctx, moka.PaymentDetailRequest{PaymentID: "1"})
	assert.ErrorIs(t, err, moka.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestUnreachableMoka(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := moka.New(url, testCreds).StartThreeD(context.Background(), validThreeD())
	assert.ErrorIs(t, err, moka.ErrUnavailable)
	assert.NotErrorIs(t, err, moka.ErrTimeout)
	assert.NotContains(t, err.Error(), testCard)
}

// Whatever goes wrong, the error a caller might log never carries the card number or CVC,
// even when Moka echoes the card number in its message.
func TestErrorsNeverCarryCardData(t *testing.T) {
	echo := `{"Data":null,"ResultCode":"PaymentDealer.CheckCardInfo.InvalidCardInfo ","ResultMessage":"Card ` + testCard + ` CVC ` + testCVC + ` refused","Exception":null}`
	f := newFakeMoka(t, http.StatusOK, []byte(echo))
	req := validThreeD()
	_, err := f.client().StartThreeD(context.Background(), req)
	var me *moka.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "PaymentDealer.CheckCardInfo.InvalidCardInfo", me.ResultCode)
	assert.NotContains(t, err.Error(), testCard)
	assert.NotContains(t, err.Error(), testCVC)
	assert.NotContains(t, me.ResultMessage, testCard)

	msgs := []string{}
	for _, change := range []func(*moka.ThreeDRequest){
		func(r *moka.ThreeDRequest) { r.CvcNumber = "7080a" },
		func(r *moka.ThreeDRequest) { r.CardNumber = testCard + "x" },
		func(r *moka.ThreeDRequest) { r.ExpMonth = testCVC },
	} {
		r := validThreeD()
		change(&r)
		_, err := f.client().StartThreeD(context.Background(), r)
		require.Error(t, err)
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs {
		assert.NotContains(t, m, testCard)
		assert.NotContains(t, m, testCVC)
	}
}

// A redirect is not followed: the body carries card data and must not go elsewhere.
func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := newFakeMoka(t, http.StatusOK, []byte(threeDOK))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+moka.PathThreeD, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)

	_, err := moka.New(srv.URL, testCreds).StartThreeD(context.Background(), validThreeD())
	var se *moka.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusTemporaryRedirect, se.StatusCode)
	hits, _, _ := elsewhere.received()
	assert.Zero(t, hits)
}
