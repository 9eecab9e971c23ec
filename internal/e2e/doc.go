// Package e2e holds the end-to-end browser tests: the checkout, the Moka sandbox and the
// example storefront run on three loopback origins, and headless Chromium pays through them
// as a buyer would. The package has no non-test code beyond this comment.
package e2e
