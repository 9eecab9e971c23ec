/*
 * Moka Checkout embed: mounts the hosted checkout page in an iframe on the merchant's page
 * and reports what happens inside it. Plain ES2017, no dependencies.
 *
 * Copy-paste:
 *
 *   <div id="checkout"></div>
 *   <script src="https://checkout.example.com/static/embed.js"></script>
 *   <script>
 *     MokaCheckout.mount("#checkout", {
 *       url: "https://checkout.example.com/pay/ord_123", // checkout_url from POST /api/v1/orders
 *       onResult: function (r) {            // {type:"checkout.result", version:1, order, status}
 *         if (r.status === "paid") location.href = "/thanks?order=" + r.order;
 *       },
 *       onResize: function (height) {},     // optional; the iframe resizes itself anyway
 *       onError: function (e) {             // optional; {type:"checkout.error", version:1, reason}
 *         // reason "refused": the checkout did not show (this origin is not allowed, or the
 *         // page failed); "timeout": nothing loaded within options.timeout ms (15000).
 *       }
 *     });
 *   </script>
 *
 * Your page's origin must be listed in the merchant's allowed embedding origins, otherwise
 * the checkout refuses to be framed (CSP frame-ancestors). Messages are accepted only from the
 * checkout's origin and from this iframe; the checkout posts only to your origin.
 * Always confirm the outcome server side (GET /api/v1/orders/{id}) before shipping.
 */
(function () {
  "use strict";
  var MIN_HEIGHT = 540;
  // A checkout page reports its height as soon as it loads. A frame that loads without
  // a word within READY_GRACE ms is not the checkout (refused by frame-ancestors, or an
  // error page).
  var READY_GRACE = 2000;
  var DEFAULT_TIMEOUT = 15000;

  function mount(target, opts) {
    var el = typeof target === "string" ? document.querySelector(target) : target;
    if (!el) throw new Error("MokaCheckout.mount: target not found");
    if (!opts || !opts.url) throw new Error("MokaCheckout.mount: url is required");
    var checkoutOrigin = new URL(opts.url, location.href).origin;

    var iframe = document.createElement("iframe");
    iframe.src = opts.url + (opts.url.indexOf("?") >= 0 ? "&" : "?") +
      "embed=1&origin=" + encodeURIComponent(location.origin);
    iframe.title = opts.title || "Güvenli ödeme / Secure checkout";
    iframe.setAttribute("allow", "payment");
    iframe.setAttribute("scrolling", "no");
    iframe.width = "100%";
    iframe.style.width = "100%";
    iframe.style.border = "0";
    iframe.style.display = "block";
    // The bank's 3-D Secure page, which cannot report its height, also shows in this iframe:
    // never go below a height that fits it.
    iframe.style.minHeight = MIN_HEIGHT + "px";
    iframe.style.height = MIN_HEIGHT + "px";

    var ready = false, failed = false, graceTimer = 0;
    function fail(reason) {
      if (ready || failed) return;
      failed = true;
      clearTimeout(loadTimer);
      clearTimeout(graceTimer);
      if (typeof opts.onError === "function") {
        opts.onError({ type: "checkout.error", version: 1, reason: reason });
      }
    }
    var timeout = Number(opts.timeout) > 0 ? Number(opts.timeout) : DEFAULT_TIMEOUT;
    var loadTimer = setTimeout(function () { fail("timeout"); }, timeout);
    iframe.addEventListener("load", function () {
      if (ready || failed || graceTimer) return;
      graceTimer = setTimeout(function () { fail("refused"); }, READY_GRACE);
    });

    function onMessage(event) {
      if (event.origin !== checkoutOrigin || event.source !== iframe.contentWindow) return;
      var data = event.data;
      if (!data || typeof data !== "object" || data.version !== 1) return;
      if (!ready && !failed) {
        ready = true;
        clearTimeout(loadTimer);
        clearTimeout(graceTimer);
      }
      if (data.type === "checkout.resize") {
        var h = Number(data.height);
        if (!isFinite(h) || h <= 0) return;
        h = Math.min(Math.ceil(h), 10000);
        // The result page ends the payment: no bank page follows it, so the frame fits it
        // exactly. Any other checkout page may lead to the bank's, so the floor comes back.
        iframe.style.minHeight = (data.page === "result" ? 0 : MIN_HEIGHT) + "px";
        iframe.style.height = h + "px";
        if (typeof opts.onResize === "function") opts.onResize(h);
      } else if (data.type === "checkout.result") {
        if (typeof opts.onResult === "function") {
          opts.onResult({
            type: data.type, version: 1,
            order: String(data.order || ""), status: String(data.status || "")
          });
        }
      }
    }

    window.addEventListener("message", onMessage);
    el.appendChild(iframe);
    return {
      iframe: iframe,
      destroy: function () {
        clearTimeout(loadTimer);
        clearTimeout(graceTimer);
        window.removeEventListener("message", onMessage);
        if (iframe.parentNode) iframe.parentNode.removeChild(iframe);
      }
    };
  }

  window.MokaCheckout = { mount: mount };
})();
