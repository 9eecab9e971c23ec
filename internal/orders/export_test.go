package orders

import "database/sql"

// DB exposes the store's pool to the tests, which check its per-connection pragmas.
func DB(s *Store) *sql.DB { return s.db }

// NewOtherTrxCode and HasDigitRun expose the OtherTrxCode generator to the tests.
var (
	NewOtherTrxCode = newOtherTrxCode
	HasDigitRun     = hasDigitRun
)
