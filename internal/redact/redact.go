// Package redact keeps card numbers out of logs. Digits masks anything that looks like a
// card number in a string, and Handler applies it to every slog record, whatever a log
// call passes: a message, a string, an error or a struct printed with %+v. CVCs are too
// short to recognise by shape; the types that carry them log themselves masked instead.
package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// minDigits is the shortest card number (PANs have 12 to 19 digits). Shorter digit runs
// (amounts, dates, ids, result codes) stay readable.
const minDigits = 12

// Digits replaces every run of 12 or more digits with asterisks. A run may have single
// spaces or dashes between its digits, as people and card forms group numbers.
func Digits(s string) string {
	b := []byte(s)
	changed := false
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		// Extend the run over digits and single separators between digits.
		j, n := i, 0
		for j < len(b) {
			if isDigit(b[j]) {
				n++
				j++
				continue
			}
			if (b[j] == ' ' || b[j] == '-') && j+1 < len(b) && isDigit(b[j+1]) {
				j++
				continue
			}
			break
		}
		if n >= minDigits {
			for k := i; k < j; k++ {
				if isDigit(b[k]) {
					b[k] = '*'
				}
			}
			changed = true
		}
		i = j
	}
	if !changed {
		return s
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Handler wraps next so that no record it writes holds a card number: the message and
// every attribute value are passed through Digits.
func Handler(next slog.Handler) slog.Handler { return handler{next} }

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Digits(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = attr(a)
	}
	return handler{h.next.WithAttrs(clean)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }

func attr(a slog.Attr) slog.Attr {
	a.Value = value(a.Value)
	return a
}

func value(v slog.Value) slog.Value {
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(Digits(v.String()))
	case slog.KindGroup:
		as := v.Group()
		clean := make([]slog.Attr, len(as))
		for i, a := range as {
			clean[i] = attr(a)
		}
		return slog.GroupValue(clean...)
	case slog.KindAny:
		// Errors, byte slices, structs, maps are written as their printed form, masked. A
		// JSON handler would marshal a struct field by field instead, past the String and
		// LogValue methods that keep a nested card request's CVC or a password out; the
		// printed form uses them at any depth.
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprintf("%+v", x)
		}
		return slog.StringValue(Digits(s))
	}
	return v
}
