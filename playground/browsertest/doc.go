// Package browsertest drives the playground in a real browser: Debian's
// chromium, headless, through the Chrome DevTools Protocol (chromedp). It
// is a module of its own so that chromedp, a test-only dependency, stays
// out of the main module's requirements, as conformance/ keeps biscuit-go
// out. It has no code besides its tests; scripts/test runs them.
//
// The tests skip, and say so, only when no chromium binary is found
// ($CODIOS_CHROMIUM, then chromium and chromium-browser on $PATH).
// With CODIOS_SCREENSHOT=docs/playground.png (a path relative to the
// repository's root), TestScreenshot writes the README's screenshot.
package browsertest
