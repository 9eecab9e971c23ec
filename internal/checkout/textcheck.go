package checkout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSubDealers is the most sub-dealers one order may split its payment among.
const MaxSubDealers = 50

// badText says what is wrong with a text a merchant or buyer gave, or "" when nothing is:
// invalid UTF-8, a control character (NUL, ESC...), or an invisible formatting character
// that changes how text is shown (bidi overrides such as U+202E, zero-width characters):
// such text can make a reference or a name read as something it is not.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Sprintf("contains the control character U+%04X", r)
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r):
			return fmt.Sprintf("contains the invisible formatting character U+%04X", r)
		}
	}
	return ""
}

// checkTexts refuses the first of the fields whose text is bad, naming it.
func checkTexts(fields ...[2]string) error {
	for _, f := range fields {
		if why := badText(f[1]); why != "" {
			return badRequest(codeForField(f[0]), f[0], f[0]+" "+why)
		}
	}
	return nil
}

// refuseDuplicateKeys refuses a body that is not valid UTF-8, and a JSON body in which an object names a key twice, also when
// the two differ only in case ("amount" and "AMOUNT"): Go's decoder would take the last
// one (matching case-insensitively), so what is checked and what is meant could differ.
func refuseDuplicateKeys(body []byte) error {
	if !utf8.Valid(body) {
		// Go's decoder would turn the bad bytes into U+FFFD and go on.
		return badRequest("invalid_json", "", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		want   bool // the next string token is a key
		path   string
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // a syntax error is the strict decoder's to report
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top != nil && top.object {
					top.want = true
				}
				stack = append(stack, &frame{object: t == '{', keys: map[string]bool{}, want: t == '{'})
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].want = true
				}
			}
		case string:
			if top != nil && top.object && top.want {
				folded := strings.ToLower(t)
				if top.keys[folded] {
					return badRequest("invalid_json", t, fmt.Sprintf("the key %q appears more than once in an object (keys are compared without case)", t))
				}
				top.keys[folded] = true
				top.want = false
				continue
			}
			if top != nil && top.object {
				top.want = true
			}
		default:
			if top != nil && top.object {
				top.want = true
			}
		}
	}
}
