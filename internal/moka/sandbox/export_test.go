package sandbox

import (
	"github.com/shopspring/decimal"

	"github.com/mokacheckout/checkout/internal/moka"
)

func decimalMust(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func jsonInt(n moka.Int) string { return decimal.NewFromInt(int64(n)).String() }
