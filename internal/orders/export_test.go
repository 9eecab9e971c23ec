package orders

import "database/sql"

// WriteDB and ReadDB expose the store's pools to the tests, which check their
// per-connection pragmas.
func WriteDB(s *Store) *sql.DB { return s.w }
func ReadDB(s *Store) *sql.DB  { return s.r }

// Reprepares exposes the count of statements SQLite had to prepare again.
var Reprepares = reprepares

// NewOtherTrxCode and HasDigitRun expose the OtherTrxCode generator to the tests.
var (
	NewOtherTrxCode = newOtherTrxCode
	HasDigitRun     = hasDigitRun
)

// TimePrefix and NewOrderID expose the id generator to the tests.
var (
	TimePrefix = timePrefix
	NewOrderID = newOrderID
)
