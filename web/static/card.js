// Card form helpers. The form works without this file; it only groups the card number,
// shows the brand, checks fields as the server will (messages come translated in data-msg-*
// attributes of the form) and stops a second submit while the first is on its way.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) return;
  var msg = form.dataset;
  var $ = function (id) { return document.getElementById(id); };
  var number = $("card_number"), holder = $("card_holder"), month = $("exp_month"),
      year = $("exp_year"), cvc = $("cvc"), brandEl = $("card-brand"), button = $("pay-button");
  var buttonHTML = button ? button.innerHTML : "";

  var BRANDS = [
    // Troy before Mastercard/Visa: its 65 and 9792 ranges are its own.
    { id: "troy", name: "Troy", re: /^(9792|65)/ },
    { id: "amex", name: "Amex", re: /^3[47]/ },
    { id: "mastercard", name: "Mastercard", re: /^(5[1-5]|2(2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720))/ },
    { id: "visa", name: "Visa", re: /^4/ },
    { id: "maestro", name: "Maestro", re: /^(50|5[6-9]|6)/ }
  ];

  function digits(s) { return (s || "").replace(/\D/g, ""); }

  function brandOf(d) {
    for (var i = 0; i < BRANDS.length; i++) if (BRANDS[i].re.test(d)) return BRANDS[i];
    return null;
  }

  function luhn(d) {
    var sum = 0, dbl = false;
    for (var i = d.length - 1; i >= 0; i--) {
      var n = d.charCodeAt(i) - 48;
      if (dbl) { n *= 2; if (n > 9) n -= 9; }
      sum += n;
      dbl = !dbl;
    }
    return sum % 10 === 0;
  }

  function group(d, brand) {
    if (brand && brand.id === "amex") {
      // Amex prints 4-6-5.
      return [d.slice(0, 4), d.slice(4, 10), d.slice(10, 15)].filter(Boolean).join(" ");
    }
    return d.replace(/(\d{4})(?=\d)/g, "$1 ");
  }

  // Reformat while typing, keeping the caret after the same number of digits.
  function onNumberInput() {
    var v = number.value, pos = number.selectionStart == null ? v.length : number.selectionStart;
    var before = digits(v.slice(0, pos)).length;
    var d = digits(v).slice(0, 19);
    var brand = brandOf(d);
    var out = group(d, brand);
    if (out !== v) {
      number.value = out;
      var p = 0, seen = 0;
      while (p < out.length && seen < before) { if (/\d/.test(out[p])) seen++; p++; }
      if (document.activeElement === number) number.setSelectionRange(p, p);
    }
    if (brandEl) brandEl.textContent = brand ? brand.name : "";
    form.dataset.brand = brand ? brand.id : "";
    showMark(brand ? brand.id : "");
  }

  // A brand with a mark shows it in place of its name; the name stays for screen readers
  // (the marks are aria-hidden).
  var marks = form.querySelectorAll(".brand-marks img");
  function showMark(id) {
    var shown = false;
    Array.prototype.forEach.call(marks, function (img) {
      img.hidden = img.dataset.brand !== id;
      if (!img.hidden) shown = true;
    });
    if (brandEl) brandEl.classList.toggle("visually-hidden", shown);
  }

  function setError(input, text) {
    var p = $(input.id + "-error");
    if (p) p.textContent = text || "";
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return !text;
  }

  function check(input) {
    var v = input.value.trim(), d = digits(input.value);
    // An empty field gets the server's message for that field; only the name has no
    // other rule, so its message is the "required" one.
    switch (input.id) {
      case "card_number":
        if (d.length < 12 || d.length > 19) return setError(input, msg.msgCardLength);
        return setError(input, luhn(d) ? "" : msg.msgCardNumber);
      case "exp_month":
        var m = parseInt(v, 10);
        return setError(input, m >= 1 && m <= 12 ? "" : msg.msgExpMonth);
      case "exp_year":
        if (!/^\d{4}$/.test(v)) return setError(input, msg.msgExpYear);
        var now = new Date(), y = parseInt(v, 10), mm = parseInt(month.value, 10);
        var past = y < now.getFullYear() || (y === now.getFullYear() && mm >= 1 && mm < now.getMonth() + 1);
        return setError(input, past ? msg.msgExpPast : "");
      case "cvc":
        var amex = brandOf(digits(number.value));
        amex = amex && amex.id === "amex";
        if (amex) return setError(input, /^\d{4}$/.test(v) ? "" : msg.msgCvcAmex);
        return setError(input, /^\d{3}$/.test(v) ? "" : msg.msgCvc);
    }
    return setError(input, v === "" ? msg.msgRequired : "");
  }

  var fields = [holder, number, month, year, cvc].filter(Boolean);
  if (number) number.addEventListener("input", onNumberInput);
  [year, cvc].forEach(function (el) {
    if (el) el.addEventListener("input", function () {
      var d = digits(el.value).slice(0, 4);
      if (d !== el.value) el.value = d;
    });
  });
  fields.forEach(function (el) {
    el.addEventListener("blur", function () { if (el.value !== "") check(el); });
    // Clear a stale error as soon as the buyer fixes the field.
    el.addEventListener("input", function () {
      if (el.getAttribute("aria-invalid") === "true" && el.value !== "") check(el);
    });
  });
  if (month && year) month.addEventListener("change", function () { if (year.value) check(year); });

  form.addEventListener("submit", function (e) {
    if (form.dataset.submitting === "1") { e.preventDefault(); return; }
    var first = null;
    fields.forEach(function (el) { if (!check(el) && !first) first = el; });
    if (first) {
      e.preventDefault();
      first.focus();
      return;
    }
    form.dataset.submitting = "1";
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      if (msg.msgProcessing) button.textContent = msg.msgProcessing;
    }
  });

  // Coming back with the Back button restores the page from bfcache with the button disabled.
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    form.dataset.submitting = "";
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.innerHTML = buttonHTML;
    }
  });

  // The installment table: once the first 6 digits are typed, ask the checkout which of
  // the order's counts the card's bank offers and at what total. Only those 6 digits
  // leave the page; without an answer the order's own options stay.
  var select = $("installments"), note = $("installments-note");
  var tableURL = select && select.dataset.tableUrl;
  var original = select ? Array.prototype.map.call(select.options, function (o) {
    return { installments: parseInt(o.value, 10), label: o.textContent };
  }) : [];
  var askedBin = "";

  function showOptions(options, checked) {
    var keep = select.value;
    while (select.firstChild) select.removeChild(select.firstChild);
    options.forEach(function (o) {
      var opt = document.createElement("option");
      opt.value = String(o.installments);
      opt.textContent = o.label;
      if (o.total) { opt.dataset.monthly = o.monthly; opt.dataset.total = o.total; }
      if (opt.value === keep) opt.selected = true;
      select.appendChild(opt);
    });
    if (note) note.hidden = !checked;
  }

  function onBin() {
    var bin = digits(number.value).slice(0, 6);
    if (bin.length < 6) {
      if (askedBin) { askedBin = ""; showOptions(original, false); }
      return;
    }
    if (bin === askedBin || !window.fetch) return;
    askedBin = bin;
    var sep = tableURL.indexOf("?") < 0 ? "?" : "&";
    fetch(tableURL + sep + "bin=" + bin, { credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) {
        if (askedBin !== bin) return; // the buyer typed another card meanwhile
        if (t && t.checked && t.options && t.options.length) showOptions(t.options, true);
        else showOptions(original, false);
      })
      .catch(function () { if (askedBin === bin) showOptions(original, false); });
  }
  if (number && tableURL) number.addEventListener("input", onBin);

  if (number && number.value) onNumberInput();
})();
