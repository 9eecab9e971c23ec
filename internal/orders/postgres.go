package orders

import (
	"context"
	"errors"
	"time"
)

// OpenPostgres opens the store on the PostgreSQL database named by dsn (a libpq
// connection string or URL), applies pending migrations and returns a Store with the same
// API and guarantees as the SQLite one.
func OpenPostgres(ctx context.Context, dsn string, now func() time.Time, opt Options) (*Store, error) {
	return nil, errors.New("open store: PostgreSQL is not built yet")
}
