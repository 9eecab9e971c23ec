package templates

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMessage(t *testing.T) {
	doc := render(t, Message(MessagePage{
		Page:       Page{Lang: "en", MerchantName: "Demo"},
		StatusCode: 403,
		Heading:    "Link not valid",
		Message:    "Ask the shop for a new link.",
		LinkURL:    "https://shop.example/",
		LinkText:   "Back to the shop",
	}))
	assert.Equal(t, "403", doc.Find("#message").AttrOr("data-status-code", ""))
	assert.Equal(t, "Link not valid", doc.Find("#message-heading").Text())
	assert.Equal(t, "Ask the shop for a new link.", doc.Find("#message-text").Text())
	assert.Equal(t, "https://shop.example/", doc.Find("#message-link").AttrOr("href", ""))
	assert.Equal(t, "Back to the shop", doc.Find("#message-link").Text())

	bare := render(t, Message(MessagePage{Heading: "Bulunamadı"}))
	assert.Equal(t, 0, bare.Find("#message-link").Length())
	assert.Equal(t, 0, bare.Find("#message-text").Length())
}

// A URL that reaches a page from outside (a merchant's return or cancel URL) must never run
// script when clicked, even if a check upstream missed it.
func TestLinksRefuseJavaScriptURLs(t *testing.T) {
	bad := "javascript:alert(1)"
	msg := render(t, Message(MessagePage{Heading: "x", LinkURL: bad}))
	assert.NotContains(t, msg.Find("#message-link").AttrOr("href", ""), "javascript:")
	res := render(t, Result(ResultPage{Heading: "x", ContinueURL: bad, RetryURL: bad}))
	assert.NotContains(t, res.Find("#continue").AttrOr("href", ""), "javascript:")
	assert.NotContains(t, res.Find("#retry").AttrOr("href", ""), "javascript:")
	vm := payVM()
	vm.CancelURL = bad
	assert.NotContains(t, render(t, Pay(vm)).Find("#cancel").AttrOr("href", ""), "javascript:")
}
