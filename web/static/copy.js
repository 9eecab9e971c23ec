// Dashboard copy buttons: a button with data-copy="<id>" copies that element's text to the
// clipboard and says so in the status element beside it. The buttons are hidden in the
// page and shown only here, so without JavaScript (or without a clipboard) nobody sees a
// button that does nothing; the text stays selectable either way.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var status = document.getElementById(button.id + "-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { if (status) status.textContent = button.dataset.copied || ""; },
        function () { if (status) status.textContent = button.dataset.failed || ""; }
      );
    });
  });
})();
