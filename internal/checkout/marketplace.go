package checkout

import (
	"strings"
	"unicode"

	"github.com/mokacheckout/checkout/internal/moka"
	"github.com/mokacheckout/checkout/internal/orders"
)

// checkMarketplace applies Moka's commission scenario rules before any buyer sees a page,
// so a marketplace order that Moka would refuse is refused at creation.
func (s *Server) checkMarketplace(in orderInput) error {
	if len(in.SubDealers) == 0 {
		if in.CommissionScenario != 0 {
			return badRequest("commission_scenario_invalid", "commission_scenario", "commission_scenario is only used with sub_dealers")
		}
		return nil
	}
	if in.CommissionScenario < 1 || in.CommissionScenario > 6 {
		return badRequest("commission_scenario_invalid", "commission_scenario", "commission_scenario from 1 to 6 is required with sub_dealers")
	}
	return validateMarketplace(in)
}

// mokaSubDealers converts the order's sub-dealers to Moka's wire form.
func mokaSubDealers(subs []orders.SubDealer) []moka.SubDealer {
	out := make([]moka.SubDealer, 0, len(subs))
	for _, sd := range subs {
		m := moka.SubDealer{DealerID: moka.Int(sd.DealerID), Amount: moka.NewAmount(sd.Amount)}
		if sd.DealerCommissionRate != nil {
			m.DealerCommissionRate = moka.AmountPtr(*sd.DealerCommissionRate)
		}
		if sd.DealerCommissionAmount != nil {
			m.DealerCommissionAmount = moka.AmountPtr(*sd.DealerCommissionAmount)
		}
		if sd.DealerCommissionFixedAmount != nil {
			m.DealerCommissionFixedAmount = moka.AmountPtr(*sd.DealerCommissionFixedAmount)
		}
		if sd.GroupRevenueRate != nil {
			m.GroupRevenueRate = moka.AmountPtr(*sd.GroupRevenueRate)
		}
		if sd.GroupRevenueAmount != nil {
			m.GroupRevenueAmount = moka.AmountPtr(*sd.GroupRevenueAmount)
		}
		if sd.AmountToBeCommissioned != nil {
			m.AmountToBeCommissioned = moka.AmountPtr(*sd.AmountToBeCommissioned)
		}
		if sd.IsIncludedFixedAmount {
			m.IsIncludedFixedAmount = 1
		}
		out = append(out, m)
	}
	return out
}

// ourField turns a Moka field path into the API's: SubDealer[1].DealerCommissionRate is
// sub_dealers[1].dealer_commission_rate.
func ourField(mokaField string) string {
	parts := strings.Split(mokaField, ".")
	for i, p := range parts {
		name, index, _ := strings.Cut(p, "[")
		switch name {
		case "SubDealer":
			name = "sub_dealers"
		case "InstallmentNumber":
			name = "installments"
		default:
			name = snake(name)
		}
		if index != "" {
			name += "[" + index
		}
		parts[i] = name
	}
	return strings.Join(parts, ".")
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
