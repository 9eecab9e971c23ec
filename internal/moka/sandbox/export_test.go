package sandbox

import "github.com/shopspring/decimal"

func decimalMust(s string) decimal.Decimal { return decimal.RequireFromString(s) }
