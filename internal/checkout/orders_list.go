package checkout

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mokacheckout/checkout/internal/orders"
)

// orderListJSON is the answer of GET /api/v1/orders.
type orderListJSON struct {
	Data    []orderJSON `json:"data"`
	HasMore bool        `json:"has_more"`
}

// listParams are the query parameters GET /api/v1/orders knows.
var listParams = []string{"status", "created_from", "created_to", "reference", "needs_review", "limit", "starting_after"}

// handleListOrders lists the merchant's orders, newest first, one page at a time (see
// docs/api.md, "List orders"). Only the calling merchant's orders are ever read.
func (s *Server) handleListOrders(c echo.Context) error {
	f, err := listFilter(c.QueryParams())
	if err != nil {
		return err
	}
	page, hasMore, err := s.store.ListOrders(c.Request().Context(), apiMerchant(c).ID, f)
	if err != nil {
		return err
	}
	out := orderListJSON{Data: make([]orderJSON, 0, len(page)), HasMore: hasMore}
	for i := range page {
		out.Data = append(out.Data, s.orderJSON(&page[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// listFilter reads the list's query parameters. A parameter that is given must have a
// valid value, and an unknown one is refused: a misspelt filter silently ignored would
// answer with the wrong orders.
func listFilter(q url.Values) (orders.ListFilter, error) {
	f := orders.ListFilter{Limit: orders.DefaultListLimit}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(listParams, name) {
			return f, badRequest("unknown_parameter", name, "unknown query parameter "+strconv.Quote(name)+"; known: "+strings.Join(listParams, ", "))
		}
	}
	// one reads a parameter that may be given once, and not empty; "" when absent.
	one := func(name string) (string, error) {
		vs := q[name]
		switch {
		case len(vs) > 1:
			return "", badRequest(name+"_invalid", name, name+" may be given once")
		case len(vs) == 1 && vs[0] == "":
			return "", badRequest(name+"_invalid", name, name+" is empty")
		}
		return q.Get(name), nil
	}
	// status=paid,refunded and status=paid&status=refunded are the same.
	for _, v := range q["status"] {
		for st := range strings.SplitSeq(v, ",") {
			st := orders.Status(strings.TrimSpace(st))
			if !slices.Contains(orders.AllStatuses(), st) {
				return f, badRequest("status_invalid", "status", "status must be a comma-separated list of: "+statusList())
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"created_from", &f.CreatedFrom}, {"created_to", &f.CreatedTo}} {
		v, err := one(p.name)
		if err != nil {
			return f, err
		}
		if v == "" {
			continue
		}
		if *p.dst, err = time.Parse(time.RFC3339, v); err != nil {
			return f, badRequest(p.name+"_invalid", p.name, p.name+" must be an RFC 3339 time, like 2026-03-01T00:00:00Z or 2026-03-01T03:00:00%2B03:00 (a + sent as %2B)")
		}
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedTo.IsZero() && !f.CreatedFrom.Before(f.CreatedTo) {
		return f, badRequest("created_to_invalid", "created_to", "created_to must be after created_from")
	}
	var err error
	if f.Reference, err = one("reference"); err != nil {
		return f, err
	}
	if f.StartingAfter, err = one("starting_after"); err != nil {
		return f, err
	}
	switch v, err := one("needs_review"); {
	case err != nil:
		return f, err
	case v == "true", v == "false":
		open := v == "true"
		f.NeedsReview = &open
	case v != "":
		return f, badRequest("needs_review_invalid", "needs_review", "needs_review must be true or false")
	}
	limit, err := one("limit")
	if err != nil || limit == "" {
		return f, err
	}
	n, err := strconv.Atoi(limit)
	if err != nil || n < 1 || n > orders.MaxListLimit {
		return f, badRequest("limit_invalid", "limit", "limit must be a whole number from 1 to "+strconv.Itoa(orders.MaxListLimit))
	}
	f.Limit = n
	return f, nil
}

func statusList() string {
	var names []string
	for _, st := range orders.AllStatuses() {
		names = append(names, string(st))
	}
	return strings.Join(names, ", ")
}
