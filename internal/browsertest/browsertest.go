// Package browsertest starts headless Chromium for tests that drive the real pages.
// It is imported by tests only.
package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// Path finds a Chromium binary: CHROME_PATH wins, then the usual names on PATH.
func Path() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a fresh headless Chromium for one test and returns its tab's context, which
// ends after timeout. Without Chromium the test is skipped locally, but fails when CI=true:
// .ci/run installs Chromium, so a missing one there is a broken CI, not a reason to skip.
func New(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium not found in CI: .ci/run must install it")
		}
		t.Skip("Chromium not installed; browser tests skipped (install chromium or set CHROME_PATH)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1000, 1200),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(ctx), "start Chromium")
	return ctx
}

// AxeViolation is one accessibility rule a page breaks, as axe-core reports it.
type AxeViolation struct {
	ID          string `json:"id"`
	Impact      string `json:"impact"`
	Description string `json:"description"`
	Help        string `json:"help"`
	Nodes       []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axeTags are the WCAG 2.2 A and AA rules of axe-core.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Axe runs axe-core (from the npm package; AXE_CORE_PATH names its axe.min.js, as .ci/run
// sets it) on the page open in ctx and returns the WCAG 2.2 AA violations. Without the
// file the check is skipped locally and fails in CI.
func Axe(t *testing.T, ctx context.Context) []AxeViolation {
	t.Helper()
	path := os.Getenv("AXE_CORE_PATH")
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AXE_CORE_PATH not set in CI: .ci/run must install axe-core")
		}
		t.Skip("axe-core not installed; set AXE_CORE_PATH to its axe.min.js (npm install axe-core)")
	}
	src, err := os.ReadFile(path)
	require.NoError(t, err, "read axe-core")
	type axeResult struct {
		Violations []AxeViolation `json:"violations"`
	}
	tags, _ := json.Marshal(axeTags)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";\ntrue"))
	require.NoError(t, err, "inject axe-core")
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](
		"axe.run(document, {runOnly: {type: 'tag', values: "+string(tags)+"}})", chromedp.EvalAwaitPromise))
	require.NoError(t, err, "run axe-core")
	return res.Violations
}
