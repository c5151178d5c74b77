// Manual voucher entry: add/remove lines, account names, and the live debit/credit balance check.
// Amounts are handled as integer fen (分) parsed from the text, never as floating point sums.
(function () {
  var form = document.getElementById("voucher-form");
  if (!form) return;
  var tbody = document.querySelector("#vgrid tbody");
  var tpl = document.getElementById("row-template");
  var i18n = JSON.parse(document.getElementById("voucher-i18n").textContent);
  var names = {};
  document.querySelectorAll("#dl-account option").forEach(function (o) { names[o.value] = o.textContent; });

  function toFen(text) {
    var s = (text || "").replace(/[,，\s]/g, "");
    if (s === "") return 0;
    var m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
    if (!m) return null;
    return parseInt(m[1], 10) * 100 + parseInt(((m[2] || "") + "00").slice(0, 2), 10);
  }
  function fmt(fen) {
    var neg = fen < 0; fen = Math.abs(fen);
    var y = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var f = (fen % 100).toString(); if (f.length < 2) f = "0" + f;
    return (neg ? "-" : "") + y + "." + f;
  }
  function renumber() {
    tbody.querySelectorAll("tr.vline").forEach(function (tr, i) { tr.querySelector(".no").textContent = i + 1; });
  }
  function showName(input) {
    var el = input.parentNode.querySelector(".acc-name");
    var code = (input.value || "").trim().split(/\s+/)[0];
    el.textContent = code ? (names[code] || "") : "";
  }
  function totals() {
    var d = 0, c = 0, bad = false;
    tbody.querySelectorAll("tr.vline").forEach(function (tr) {
      var di = tr.querySelector("input[name=debit]"), ci = tr.querySelector("input[name=credit]");
      var dv = toFen(di.value), cv = toFen(ci.value);
      di.classList.toggle("invalid", dv === null);
      ci.classList.toggle("invalid", cv === null);
      var both = dv > 0 && cv > 0;
      if (both) { di.classList.add("invalid"); ci.classList.add("invalid"); }
      if (dv === null || cv === null || both) { bad = true; return; }
      d += dv; c += cv;
    });
    return { d: d, c: c, bad: bad };
  }
  function update() {
    var t = totals(), diff = t.d - t.c;
    document.getElementById("sum-debit").textContent = fmt(t.d);
    document.getElementById("sum-credit").textContent = fmt(t.c);
    document.getElementById("sum-diff").textContent = fmt(diff);
    var ok = !t.bad && diff === 0 && t.d > 0;
    var box = document.getElementById("balance");
    box.classList.toggle("ok", ok);
    box.classList.toggle("bad", !ok);
    document.getElementById("balance-note").textContent = t.bad ? i18n.bad : (t.d === 0 && t.c === 0 ? i18n.empty : (diff !== 0 ? i18n.unbalanced : i18n.ok));
    document.getElementById("save").disabled = !ok;
    document.getElementById("save-new").disabled = !ok;
    return t;
  }
  function addRow() {
    var frag = tpl.content.cloneNode(true);
    tbody.appendChild(frag);
    renumber();
    return tbody.lastElementChild;
  }
  document.getElementById("add-line").addEventListener("click", function () {
    var tr = addRow();
    tr.querySelector("input[name=summary]").focus();
  });
  tbody.addEventListener("click", function (e) {
    var btn = e.target.closest(".remove");
    if (!btn) return;
    var rows = tbody.querySelectorAll("tr.vline");
    var tr = btn.closest("tr");
    if (rows.length <= 2) {  // keep two lines: clear instead of removing
      tr.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      tr.querySelector(".acc-name").textContent = "";
    } else {
      tr.remove();
    }
    renumber(); update();
  });
  tbody.addEventListener("input", function (e) {
    if (e.target.classList.contains("acc")) showName(e.target);
    if (e.target.classList.contains("amount")) {
      if (e.target.value.indexOf("=") >= 0) {  // "=" fills in the amount that balances the voucher
        e.target.value = "";
        var t = totals(), isDebit = e.target.name === "debit";
        var need = isDebit ? t.c - t.d : t.d - t.c;
        if (need > 0) e.target.value = fmt(need).replace(/,/g, "");
      }
      update();
    }
  });
  // copy the previous line's summary into a new line's empty summary on focus
  tbody.addEventListener("focusin", function (e) {
    if (e.target.name !== "summary" || e.target.value) return;
    var tr = e.target.closest("tr"), prev = tr.previousElementSibling;
    if (prev) {
      var s = prev.querySelector("input[name=summary]").value;
      if (s) { e.target.value = s; e.target.select(); }
    }
  });
  form.addEventListener("submit", function (e) {
    var t = update();
    if (t.bad || t.d !== t.c || t.d === 0) e.preventDefault();
  });
  tbody.querySelectorAll("input.acc").forEach(showName);
  renumber(); update();
})();
