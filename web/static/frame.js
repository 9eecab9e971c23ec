// Inside the merchant's iframe: tells the parent page how tall this page is, so the iframe
// never scrolls. The result page says so (page: "result"): embed.js then lets the frame
// shrink to it, below the height kept for the bank's page. Messages go only to the merchant
// origin the server put in data-parent-origin, never to "*".
(function () {
  "use strict";
  var origin = document.documentElement.dataset.parentOrigin;
  if (!origin || window.parent === window) return;
  var last = -1;
  var page = document.getElementById("result") ? "result" : "other";
  function post() {
    var h = Math.ceil(document.body.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ type: "checkout.resize", version: 1, height: h, page: page }, origin);
  }
  if (document.readyState === "complete") post();
  else window.addEventListener("load", post);
  if (typeof ResizeObserver === "function") new ResizeObserver(post).observe(document.body);
  else window.addEventListener("resize", post);
})();
