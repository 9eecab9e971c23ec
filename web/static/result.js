// Result page. Inside the merchant's iframe it tells the parent page the outcome; in a full
// page it continues to the merchant's return URL after a few seconds. The Continue link does
// the same without JavaScript.
(function () {
  "use strict";
  var el = document.getElementById("result");
  if (!el) return;
  var d = el.dataset;
  var origin = document.documentElement.dataset.parentOrigin;
  if (origin && window.parent !== window) {
    window.parent.postMessage(
      { type: "checkout.result", version: 1, order: d.order || "", status: d.status || "" },
      origin
    );
    return;
  }
  // When the buyer may retry, leaving the page on its own would take that choice away.
  if (!d.continueUrl || document.getElementById("retry")) return;
  var note = document.getElementById("redirect-note");
  if (note) note.hidden = false;
  var link = document.getElementById("continue");
  var url = link ? link.href : d.continueUrl;
  setTimeout(function () {
    window.location.assign(url);
  }, 4000);
})();
