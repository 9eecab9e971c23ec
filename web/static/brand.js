// Applies the merchant's brand color from data-brand-color on <html>. The CSP forbids inline
// styles, but setting a custom property through the CSSOM is allowed.
(function () {
  "use strict";
  var root = document.documentElement;
  var c = root.dataset.brandColor || "";
  if (!/^#[0-9a-fA-F]{6}$/.test(c)) return;
  root.style.setProperty("--brand", c);
  // Pick black or white text, whichever reads better on the brand color.
  var n = parseInt(c.slice(1), 16);
  var lum = (0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  root.style.setProperty("--brand-ink", lum > 0.6 ? "#111" : "#fff");
})();
