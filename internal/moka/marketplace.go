package moka

import (
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"
)

// Commission scenarios of the marketplace 3-D service, as numbered by Moka.
const (
	ScenarioMokaRates         = 1 // Moka's stored sub-dealer rates
	ScenarioInstantRates      = 2 // DealerCommissionRate (+ DealerCommissionFixedAmount)
	ScenarioInstantAmounts    = 3 // DealerCommissionAmount
	ScenarioGroupRevenueRate  = 4 // GroupRevenueRate over AmountToBeCommissioned
	ScenarioGroupRevenueFixed = 5 // GroupRevenueAmount over AmountToBeCommissioned
	ScenarioDepositAmounts    = 6 // sub-dealer Amounts are what they receive
)

// ValidateMarketplace checks the seed's commission-scenario rules for a marketplace payment
// of amount in currency (Moka's code; "" is TL) split among subs. It needs no card data,
// so the checkout calls it when an order is created, long before a buyer pays; the 3-D
// request's own validation calls it again before sending.
//
// Rules: scenario 1 to 6; at least one sub-dealer; DealerId positive and unique; every
// sub-dealer Amount positive; no negative amount or rate, rates at most 100; the fields each
// scenario requires (2: DealerCommissionRate; 3: DealerCommissionAmount; 4: GroupRevenueRate
// and AmountToBeCommissioned; 5: GroupRevenueAmount and AmountToBeCommissioned); and the
// sums (1-3: the Amounts add up to amount; 4-5: the AmountToBeCommissioned values add up to
// amount; 6: the Amounts add up to less than amount, the rest being the commission).
// Field names are relative to the 3-D request, e.g. "SubDealer[1].DealerCommissionRate".
func ValidateMarketplace(amount decimal.Decimal, currency string, scenario int, subs []SubDealer) error {
	if err := checkAmount("Amount", amount); err != nil {
		return err
	}
	if err := checkCurrency(currency); err != nil {
		return err
	}
	if scenario < ScenarioMokaRates || scenario > ScenarioDepositAmounts {
		return invalid("CommissionScenario", "must be 1 to 6")
	}
	if len(subs) == 0 {
		return invalid("SubDealer", "at least one sub-dealer is required")
	}
	seen := make(map[Int]bool, len(subs))
	sum, toCommission := decimal.Zero, decimal.Zero
	for i, s := range subs {
		p := "SubDealer[" + strconv.Itoa(i) + "]."
		if s.DealerID <= 0 {
			return invalid(p+"DealerId", "is required")
		}
		if seen[s.DealerID] {
			return invalid(p+"DealerId", "appears more than once")
		}
		seen[s.DealerID] = true
		if err := checkAmount(p+"Amount", s.Amount.Decimal); err != nil {
			return err
		}
		if err := checkSubDealerFields(p, scenario, s); err != nil {
			return err
		}
		sum = sum.Add(s.Amount.Decimal)
		if s.AmountToBeCommissioned != nil {
			toCommission = toCommission.Add(s.AmountToBeCommissioned.Decimal)
		}
	}
	switch scenario {
	case ScenarioGroupRevenueRate, ScenarioGroupRevenueFixed:
		if !toCommission.Equal(amount) {
			return invalid("SubDealer", "the AmountToBeCommissioned values must add up to Amount")
		}
	case ScenarioDepositAmounts:
		if !sum.LessThan(amount) {
			return invalid("SubDealer", "the sub-dealer amounts must add up to less than Amount in scenario 6")
		}
	default:
		if !sum.Equal(amount) {
			return invalid("SubDealer", "the sub-dealer amounts must add up to Amount")
		}
	}
	return nil
}

// checkSubDealerFields checks one sub-dealer's optional fields: present where the
// scenario needs them, never negative, money in kuruş, rates at most 100 percent.
func checkSubDealerFields(prefix string, scenario int, s SubDealer) error {
	fields := []struct {
		name     string
		v        *Amount
		rate     bool
		required bool
	}{
		{"DealerCommissionRate", s.DealerCommissionRate, true, scenario == ScenarioInstantRates},
		{"DealerCommissionFixedAmount", s.DealerCommissionFixedAmount, false, false},
		{"DealerCommissionAmount", s.DealerCommissionAmount, false, scenario == ScenarioInstantAmounts},
		{"GroupRevenueRate", s.GroupRevenueRate, true, scenario == ScenarioGroupRevenueRate},
		{"GroupRevenueAmount", s.GroupRevenueAmount, false, scenario == ScenarioGroupRevenueFixed},
		{"AmountToBeCommissioned", s.AmountToBeCommissioned, false,
			scenario == ScenarioGroupRevenueRate || scenario == ScenarioGroupRevenueFixed},
	}
	for _, f := range fields {
		if f.v == nil {
			if f.required {
				return invalid(prefix+f.name, fmt.Sprintf("is required in commission scenario %d", scenario))
			}
			continue
		}
		d := f.v.Decimal
		switch {
		case d.IsNegative():
			return invalid(prefix+f.name, "must not be negative")
		case f.rate && d.GreaterThan(decimal.NewFromInt(100)):
			return invalid(prefix+f.name, "must be at most 100 percent")
		case !f.rate:
			if err := checkCents(prefix+f.name, d); err != nil {
				return err
			}
		}
	}
	if s.IsIncludedFixedAmount != 0 && s.IsIncludedFixedAmount != 1 {
		return invalid(prefix+"IsIncludedFixedAmount", "must be 0 or 1")
	}
	return nil
}
