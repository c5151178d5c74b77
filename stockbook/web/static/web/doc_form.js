// Business document entry (one script for every type; doc-config says which grid it is).
// Item search and barcode scanning, units, live availability, lines of a referenced receipt/delivery,
// open invoices for allocations, line amounts. Arithmetic is exact decimal (BigInt), never floating point.
// The server (post()) decides; everything here only helps and warns.
(function () {
  var form = document.getElementById("doc-form");
  if (!form) return;
  var cfg = JSON.parse(document.getElementById("doc-config").textContent);
  var T = JSON.parse(document.getElementById("doc-i18n").textContent);
  var tbody = document.querySelector("#dgrid tbody");
  var tpl = document.getElementById("row-template");
  var items = cfg.items || {};  // code → {code, name, uom, units: [{name, factor}], tax_rate}
  var refInfo = {};  // ref → ref-lines payload
  var invoices = {};  // invoice ref → open invoice
  var avail = {};  // item code → {qty, available, uom}

  // ---- exact decimals -------------------------------------------------------------------------------
  function dec(text) {
    var s = (text || "").replace(/[,，\s]/g, "");
    var m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
    if (!m) return null;
    var frac = m[3] || "";
    var n = BigInt(m[2] + frac);
    return { n: m[1] ? -n : n, s: frac.length };
  }
  function pow10(k) { var r = 1n; while (k-- > 0) r *= 10n; return r; }
  function round2(n, s) {  // n × 10^-s → fen, half up (away from zero)
    if (s <= 2) return n * pow10(2 - s);
    var d = pow10(s - 2), neg = n < 0n; if (neg) n = -n;
    var q = n / d, r = n % d;
    if (2n * r >= d) q += 1n;
    return neg ? -q : q;
  }
  function mul(a, b) { return { n: a.n * b.n, s: a.s + b.s }; }
  function cmp(a, b) {
    var s = Math.max(a.s, b.s);
    var x = a.n * pow10(s - a.s), y = b.n * pow10(s - b.s);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  function fmtFen(f) {
    var neg = f < 0n; if (neg) f = -f;
    var y = (f / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var c = (f % 100n).toString(); if (c.length < 2) c = "0" + c;
    return (neg ? "-" : "") + y + "." + c;
  }
  function plainFen(f) { return fmtFen(f).replace(/,/g, ""); }

  // ---- helpers ---------------------------------------------------------------------------------------
  function $(sel, root) { return (root || document).querySelector(sel); }
  function rows() { return Array.prototype.slice.call(tbody.querySelectorAll("tr.dline")); }
  function val(tr, name) { var el = tr.querySelector("[name=" + name + "]"); return el ? el.value.trim() : ""; }
  function setVal(tr, name, v) { var el = tr.querySelector("[name=" + name + "]"); if (el) el.value = v; }
  function cell(tr, col) { return tr.querySelector("td[data-col=" + col + "]"); }
  function code(text) { return (text || "").trim().split(/\s+/)[0] || ""; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      return r.json().then(function (j) { j._status = r.status; return j; });
    });
  }
  function headerVal(name) { var el = form.querySelector("[name=" + name + "]"); return el ? el.value.trim() : ""; }
  function qtyName() { return cfg.type === "stock_count" ? "counted_qty" : "qty"; }
  function renumber() { rows().forEach(function (tr, i) { tr.querySelector(".no").textContent = i + 1; }); }
  function addRow() {
    tbody.appendChild(tpl.content.cloneNode(true));
    renumber();
    return tbody.lastElementChild;
  }
  function emptyRow() {
    return rows().filter(function (tr) {
      return !val(tr, "item") && !val(tr, "qty") && !val(tr, "counted_qty") && !val(tr, "invoice") && !val(tr, "src_line");
    })[0];
  }
  function rowFor(rowOrNull) { return rowOrNull || emptyRow() || addRow(); }

  // ---- items and units -------------------------------------------------------------------------------
  function factorOf(tr) {
    var it = items[code(val(tr, "item"))];
    var u = val(tr, "uom");
    if (!it) return null;
    for (var i = 0; i < it.units.length; i++) if (it.units[i].name === u) return dec(it.units[i].factor);
    return dec("1");
  }
  function fillUnits(tr, it, preferred) {
    var sel = tr.querySelector("select[name=uom]");
    if (!sel) return;
    var cur = preferred || sel.value;
    sel.innerHTML = "";
    it.units.forEach(function (u) {
      var o = document.createElement("option");
      o.value = o.textContent = u.name;
      if (u.factor !== "1") o.textContent = u.name + " (=" + u.factor + " " + it.uom + ")";
      sel.appendChild(o);
    });
    sel.value = it.units.some(function (u) { return u.name === cur; }) ? cur : it.uom;
  }
  function applyItem(tr, it, unit) {
    items[it.code] = it;
    var inp = tr.querySelector("[name=item]");
    inp.value = it.code;
    var nm = tr.querySelector(".item-name");
    if (nm) nm.textContent = it.name + (it.spec ? " · " + it.spec : "");
    var ic = tr.querySelector(".item-code");
    if (ic) ic.textContent = it.code;
    fillUnits(tr, it, unit);
    var tr_rate = tr.querySelector("[name=tax_rate]");
    if (tr_rate && !tr_rate.value && it.tax_rate) tr_rate.value = it.tax_rate;
  }
  function lookupItem(c) {
    if (items[c]) return Promise.resolve(items[c]);
    return getJSON(cfg.urls.search + "?q=" + encodeURIComponent(c) + "&limit=5").then(function (j) {
      var hit = (j.items || []).filter(function (i) { return i.code === c; })[0] || ((j.items || []).length === 1 ? j.items[0] : null);
      if (hit) items[hit.code] = hit;
      return hit;
    });
  }
  var searchTimer = null;
  function suggest(q) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      getJSON(cfg.urls.search + "?q=" + encodeURIComponent(q)).then(function (j) {
        var dl = document.getElementById("dl-items");
        dl.innerHTML = "";
        (j.items || []).forEach(function (it) {
          items[it.code] = items[it.code] || it;
          var o = document.createElement("option");
          o.value = it.code;
          o.textContent = it.name + (it.spec ? " " + it.spec : "") + " (" + it.uom + ")";
          dl.appendChild(o);
        });
      });
    }, 180);
  }
  function itemChanged(tr) {
    var c = code(val(tr, "item"));
    var nm = tr.querySelector(".item-name");
    if (!c) { if (nm) nm.textContent = ""; return; }
    lookupItem(c).then(function (it) {
      if (it) { applyItem(tr, it); } else if (nm) { nm.textContent = "?"; }
      refreshAvailability(); recalc();
    });
  }

  // ---- barcode scanner -------------------------------------------------------------------------------
  function scan(text) {
    var msg = document.getElementById("scan-msg");
    getJSON(cfg.urls.barcode + "?code=" + encodeURIComponent(text)).then(function (j) {
      if (!j.item) {
        msg.textContent = T.unknown_barcode + ": " + text;
        msg.className = "warn-text";
        return;
      }
      var it = j.item, unit = j.unit || it.uom, q = qtyName();
      var tr = rows().filter(function (r) { return code(val(r, "item")) === it.code && (val(r, "uom") || it.uom) === unit; })[0];
      if (tr) {
        var cur = dec(val(tr, q)) || dec("0");
        var next = { n: cur.n + pow10(cur.s), s: cur.s };
        var s = next.n.toString();
        if (next.s) { while (s.length <= next.s) s = "0" + s; s = s.slice(0, s.length - next.s) + "." + s.slice(s.length - next.s); }
        setVal(tr, q, s);
        msg.textContent = T.plus_one + ": " + it.code + " " + it.name + " → " + s + " " + unit;
      } else {
        tr = rowFor(null);
        applyItem(tr, it, unit);
        setVal(tr, q, "1");
        msg.textContent = T.added + ": " + it.code + " " + it.name + " 1 " + unit;
      }
      msg.className = "ok-text";
      tr.classList.add("flash");
      setTimeout(function () { tr.classList.remove("flash"); }, 600);
      refreshAvailability(); recalc();
    });
  }
  var scanInput = document.getElementById("scan");
  if (scanInput) {
    scanInput.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      e.preventDefault();
      var text = scanInput.value.trim();
      scanInput.value = "";
      if (text) scan(text);
    });
  }

  // ---- availability ----------------------------------------------------------------------------------
  var refWarehouse = null;
  function availWarehouse() {
    if (cfg.availability === "ref") return refWarehouse;
    return cfg.availability ? headerVal(cfg.availability) : "";
  }
  var availTimer = null;
  function refreshAvailability() {
    if (!cfg.availability) return;
    clearTimeout(availTimer);
    availTimer = setTimeout(function () {
      var wh = availWarehouse(), d = headerVal("date");
      var codes = rows().map(function (tr) { return code(val(tr, "item")); }).filter(Boolean);
      if (!wh || !codes.length) { avail = {}; showAvailability(); return; }
      getJSON(cfg.urls.availability + "?warehouse=" + encodeURIComponent(wh) + "&date=" + encodeURIComponent(d) +
              "&items=" + encodeURIComponent(codes.join(","))).then(function (j) { avail = j.items || {}; showAvailability(); });
    }, 150);
  }
  function showAvailability() {
    rows().forEach(function (tr) {
      var td = cell(tr, "avail") || cell(tr, "book");
      if (!td) return;
      var a = avail[code(val(tr, "item"))];
      tr.classList.remove("line-warn");
      td.title = "";
      if (!a) { td.textContent = ""; return; }
      if (cfg.type === "stock_count") { td.textContent = a.qty + " " + a.uom; return; }
      td.textContent = a.qty + " " + a.uom + (a.available !== a.qty ? " (" + T.available + " " + a.available + ")" : "");
      var q = dec(val(tr, "qty")), f = factorOf(tr);
      if (q && f && cmp(mul(q, f), dec(a.available)) > 0) {
        tr.classList.add("line-warn");
        td.title = T.exceeds;
        td.textContent += " ⚠";
        var warn = document.createElement("div");
        warn.className = "warn-text";
        warn.textContent = T.exceeds;
        td.appendChild(warn);
      }
    });
  }

  // ---- amounts ---------------------------------------------------------------------------------------
  function recalc() {
    var tot = { amount: 0n, tax: 0n, alloc_amount: 0n }, any = false;
    rows().forEach(function (tr) {
      var ac = cell(tr, "amount"), tc = cell(tr, "tax");
      if (ac) {
        var q = dec(val(tr, "qty")), p = dec(val(tr, "unit_price"));
        var net = q && p ? (function () { var m = mul(q, p); return round2(m.n, m.s); })() : null;
        ac.textContent = net === null ? "" : fmtFen(net);
        if (net !== null) { tot.amount += net; any = true; }
        if (tc) {
          var r = dec(val(tr, "tax_rate")) || (function () { var it = items[code(val(tr, "item"))]; return it && it.tax_rate ? dec(it.tax_rate) : null; })();
          var tax = net !== null && r ? round2(net * r.n, r.s + 2) : null;  // fen × rate, back to fen
          tc.textContent = tax === null ? "" : fmtFen(tax);
          if (tax !== null) tot.tax += tax;
        }
      }
      if (cfg.lines === "alloc") {
        var inp = tr.querySelector("[name=alloc_amount]"), a = dec(val(tr, "alloc_amount"));
        var inv = invoices[code(val(tr, "invoice"))], oc = cell(tr, "open");
        if (oc) oc.textContent = inv ? inv.open : "";
        var over = a && inv && cmp(a, dec(inv.open)) > 0;
        inp.classList.toggle("invalid", !!over || (val(tr, "alloc_amount") !== "" && !a));
        inp.title = over ? T.over_open : "";
        if (a) { tot.alloc_amount += round2(a.n, a.s); any = true; }
      }
    });
    document.querySelectorAll("[data-total]").forEach(function (td) {
      var k = td.getAttribute("data-total");
      if (k === "amount" || k === "tax" || k === "alloc_amount") td.textContent = any ? fmtFen(tot[k]) : "";
    });
    if (cfg.availability) showAvailability();
  }

  // ---- referenced receipts / deliveries ---------------------------------------------------------------
  function loadRef(ref) {
    if (refInfo[ref]) return Promise.resolve(refInfo[ref]);
    return getJSON(cfg.urls.ref_lines + "?type=" + cfg.ref_type + "&ref=" + encodeURIComponent(ref)).then(function (j) {
      if (j.document) refInfo[ref] = j;
      return j.document ? j : null;
    });
  }
  function annotateRefRows() {
    rows().forEach(function (tr) {
      var ref = cfg.lines === "ref" ? val(tr, "src_ref") : headerVal(cfg.ref_key);
      var n = parseInt(val(tr, "src_line"), 10);
      if (!ref || !n) return;
      loadRef(ref).then(function (j) {
        if (!j) return;
        var ln = j.lines.filter(function (l) { return l.line === n; })[0];
        if (!ln) return;
        if (!items[ln.item.code]) items[ln.item.code] = ln.item;
        if (!val(tr, "item")) applyItem(tr, ln.item, ln.uom);
        var nm = tr.querySelector(".item-name");
        if (nm && !nm.textContent) nm.textContent = ln.item.name;
        var rc = cell(tr, "remaining");
        if (rc) rc.textContent = ln.remaining + " " + ln.uom;
        recalc();
      });
    });
  }
  function addRefLines(ref, replace) {
    var msg = document.getElementById("pick-msg") || document.querySelector(".ref-doc-info");
    return loadRef(ref).then(function (j) {
      if (!j) { if (msg) msg.textContent = T.not_found + ": " + ref; return; }
      var d = j.document;
      if (cfg.lines === "ref1") {
        refWarehouse = d.warehouse;
        var info = document.querySelector(".ref-doc-info");
        if (info) info.textContent = d.date + " · " + (d.party_name || "") + (d.warehouse ? " · " + d.warehouse : "");
      }
      if (replace) rows().forEach(function (tr) { tr.remove(); });
      else rows().forEach(function (tr) { if (tr === emptyRow()) tr.remove(); });
      var n = 0;
      j.lines.forEach(function (ln) {
        if (ln.remaining_base === "0") return;
        if (cfg.lines === "ref" && rows().some(function (tr) { return val(tr, "src_ref") === d.ref && val(tr, "src_line") === String(ln.line); })) return;
        var tr = addRow();
        setVal(tr, "src_ref", d.ref);
        setVal(tr, "src_line", String(ln.line));
        applyItem(tr, ln.item, ln.uom);
        if (cfg.lines === "ref") {
          setVal(tr, "qty", ln.remaining);
          if (ln.uom === ln.line_uom && ln.unit_price) setVal(tr, "unit_price", ln.unit_price);
        }
        var rc = cell(tr, "remaining");
        if (rc) rc.textContent = ln.remaining + " " + ln.uom;
        n++;
      });
      if (msg) msg.textContent = n ? (cfg.lines === "ref" ? d.ref + ": " + n + " " + T.lines_added : msg.textContent) : T.none_left;
      renumber(); refreshAvailability(); recalc();
    });
  }
  function refreshOpenRefs() {
    var party = code(headerVal(cfg.party));
    var dl = document.getElementById("dl-open-refs");
    if (!party) { dl.innerHTML = ""; return; }
    getJSON(cfg.urls.open_documents + "?type=" + cfg.ref_type + "&party=" + encodeURIComponent(party)).then(function (j) {
      dl.innerHTML = "";
      var pr = document.getElementById("pick-ref");
      if (pr) pr.placeholder = (j.documents || []).length ? j.documents[0].ref : T.none_left;
      (j.documents || []).forEach(function (d) {
        var o = document.createElement("option");
        o.value = d.ref; o.textContent = d.date + (d.warehouse ? " " + d.warehouse : "");
        dl.appendChild(o);
      });
    });
  }

  // ---- open invoices (receipts and payments) -----------------------------------------------------------
  function loadInvoices() {
    var party = code(headerVal(cfg.party));
    var msg = document.getElementById("alloc-msg");
    if (!party) return Promise.resolve([]);
    return getJSON(cfg.urls.open_invoices + "?type=" + cfg.ref_type + "&party=" + encodeURIComponent(party)).then(function (j) {
      invoices = {};
      var dl = document.getElementById("dl-open-invoices");
      dl.innerHTML = "";
      (j.invoices || []).forEach(function (inv) {
        invoices[inv.ref] = inv;
        var o = document.createElement("option");
        o.value = inv.ref; o.textContent = inv.date + " " + T.open + " " + inv.open;
        dl.appendChild(o);
      });
      if (msg) msg.textContent = (j.invoices || []).length ? "" : T.no_open;
      recalc();
      return j.invoices || [];
    });
  }
  function listInvoices() {
    loadInvoices().then(function (list) {
      list.forEach(function (inv) {
        if (rows().some(function (tr) { return code(val(tr, "invoice")) === inv.ref; })) return;
        var tr = rowFor(null);
        setVal(tr, "invoice", inv.ref);
      });
      renumber(); recalc();
    });
  }
  function autoAllocate() {
    var total = dec(headerVal("amount"));
    var fromPrepaid = false;
    if (!total && cfg.type === "advance_application") {  // apply up to the party's open prepayment
      var pp = (cfg.prepayments[cfg.party] || {})[code(headerVal(cfg.party))];
      total = pp ? dec(pp.replace(/,/g, "")) : null;
      fromPrepaid = true;
    }
    if (!total) return;
    var left = round2(total.n, total.s), start = left;
    rows().forEach(function (tr) {
      var inv = invoices[code(val(tr, "invoice"))];
      if (!inv) return;
      var open = dec(inv.open), o = round2(open.n, open.s);
      var take = left < o ? left : o;
      setVal(tr, "alloc_amount", take > 0n ? plainFen(take) : "");
      left -= take > 0n ? take : 0n;
    });
    if (fromPrepaid && start - left > 0n) form.querySelector("[name=amount]").value = plainFen(start - left);
    recalc();
  }

  // ---- prepayments (预收/预付) and their application (docs/contract-extensions.md §2) --------------------
  function showPrepaid() {
    document.querySelectorAll(".prepaid").forEach(function (el) {
      var kind = el.getAttribute("data-kind"), p = code(headerVal(kind));
      var bal = p && (cfg.prepayments || {})[kind] ? cfg.prepayments[kind][p] : null;
      if (bal) el.textContent = T["prepaid_" + kind] + " " + bal;
      else el.textContent = p && cfg.type === "advance_application" && cfg.prepayments ? T.prepaid_none : "";
    });
  }
  function prepaymentChanged() {
    var box = document.getElementById("h-prepayment");
    if (!box) return;
    var on = box.checked, area = document.getElementById("grid-area"), note = document.getElementById("prepaid-note");
    if (area) area.hidden = on;
    if (note) note.hidden = !on;
    // a prepayment allocates nothing: the grid's inputs are not sent while it is ticked
    tbody.querySelectorAll("input, select").forEach(function (el) { el.disabled = on; });
  }
  function sideChanged() {
    var side = headerVal("side") === "supplier" ? "supplier" : "customer";
    cfg.party = side;
    cfg.ref_type = side === "supplier" ? "purchase_invoice" : "sales_invoice";
    document.querySelectorAll(".side-party").forEach(function (el) {
      var mine = el.getAttribute("data-field") === side;
      el.hidden = !mine;
      el.querySelectorAll("input").forEach(function (i) { i.disabled = !mine; });
    });
    rows().forEach(function (tr) { tr.remove(); });
    invoices = {};
    document.getElementById("dl-open-invoices").innerHTML = "";
    showPrepaid(); loadInvoices(); renumber(); recalc();
  }

  // ---- suggested ref follows the date until edited ---------------------------------------------------------
  var refInput = document.getElementById("d-ref");
  function dateChanged() {
    if (refInput.value && refInput.value === refInput.getAttribute("data-suggested")) {
      getJSON(cfg.urls.next_ref + "?type=" + cfg.type + "&date=" + encodeURIComponent(headerVal("date"))).then(function (j) {
        if (j.ref && refInput.value === refInput.getAttribute("data-suggested")) {
          refInput.value = j.ref; refInput.setAttribute("data-suggested", j.ref);
        }
      });
    }
    refreshAvailability();
  }

  // ---- events ----------------------------------------------------------------------------------------
  form.addEventListener("change", function (e) {
    var t = e.target;
    if (t.name === "date") dateChanged();
    else if (t.name === "prepayment") prepaymentChanged();
    else if (t.name === "side") sideChanged();
    else if (cfg.availability && t.name === cfg.availability) refreshAvailability();
    else if (t.name === cfg.party) {
      var dl = document.getElementById(cfg.party === "supplier" ? "dl-suppliers" : "dl-customers");
      var o = dl && Array.prototype.filter.call(dl.options, function (x) { return x.value === code(t.value); })[0];
      var pn = t.parentNode.querySelector(".party-name");
      if (pn) pn.textContent = o ? o.textContent : "";
      showPrepaid();
      if (cfg.lines === "ref") refreshOpenRefs();
      if (cfg.lines === "alloc") loadInvoices();
    } else if (t.classList.contains("ref-doc")) addRefLines(t.value.trim(), true);
    else if (t.name === "item") itemChanged(t.closest("tr"));
    else if (t.name === "uom" || t.name === "invoice") { recalc(); }
    else if (t.name === "src_ref" || t.name === "src_line") annotateRefRows();
  });
  tbody.addEventListener("input", function (e) {
    var t = e.target;
    if (t.name === "item" && t.value.trim().length >= 1) suggest(t.value.trim());
    if (t.classList.contains("n")) recalc();
  });
  form.addEventListener("input", function (e) { if (e.target.name === "amount") recalc(); });
  form.addEventListener("keydown", function (e) {  // Enter in the grid moves on instead of posting half a document
    if (e.key === "Enter" && e.target.closest && e.target.closest("#dgrid") && e.target.tagName === "INPUT") {
      e.preventDefault();
      var tr = e.target.closest("tr"), name = e.target.name;
      if (name === "item") { itemChanged(tr); }
      var next = tr.nextElementSibling;
      var target = next && next.querySelector("[name=" + name + "]");
      if (target) target.focus();
    }
  });
  tbody.addEventListener("click", function (e) {
    var btn = e.target.closest(".remove");
    if (!btn) return;
    btn.closest("tr").remove();
    if (!rows().length && cfg.lines === "item") addRow();
    renumber(); refreshAvailability(); recalc();
  });
  var add = document.getElementById("add-line");
  if (add) add.addEventListener("click", function () {
    var tr = addRow();
    var first = tr.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  });
  var loadBtn = document.getElementById("load-ref");
  if (loadBtn) loadBtn.addEventListener("click", function () { var v = headerVal(cfg.ref_key); if (v) addRefLines(v, true); });
  var pick = document.getElementById("add-ref-lines");
  if (pick) pick.addEventListener("click", function () { var v = $("#pick-ref").value.trim(); if (v) addRefLines(v, false).then(function () { $("#pick-ref").value = ""; }); });
  var pickInput = document.getElementById("pick-ref");
  if (pickInput) pickInput.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); pick.click(); } });
  var li = document.getElementById("load-invoices");
  if (li) li.addEventListener("click", listInvoices);
  var aa = document.getElementById("auto-alloc");
  if (aa) aa.addEventListener("click", function () { loadInvoices().then(autoAllocate); });

  // ---- start -----------------------------------------------------------------------------------------
  document.querySelectorAll(".side-party[hidden] input").forEach(function (i) { i.disabled = true; });
  prepaymentChanged();
  showPrepaid();
  renumber();
  rows().forEach(function (tr) {  // a re-shown form: unit labels with their factors
    var it = items[code(val(tr, "item"))];
    if (it) fillUnits(tr, it, val(tr, "uom"));
  });
  if (cfg.party && headerVal(cfg.party)) {
    var pin = form.querySelector("[name=" + cfg.party + "]");
    pin.dispatchEvent(new Event("change", { bubbles: true }));
  }
  var pre = cfg.prefill || {};
  if (cfg.lines === "ref" && pre[cfg.ref_key]) addRefLines(pre[cfg.ref_key], false);
  if (cfg.lines === "ref1") {
    var hv = headerVal(cfg.ref_key);
    if (hv && !rows().length) addRefLines(hv, true);
    else if (hv) loadRef(hv).then(function (j) { if (j) { refWarehouse = j.document.warehouse; refreshAvailability(); } annotateRefRows(); });
  }
  if (cfg.lines === "ref") annotateRefRows();
  if (cfg.lines === "alloc") {
    loadInvoices().then(function () {
      if (pre.invoice && !rows().some(function (tr) { return val(tr, "invoice") === pre.invoice; })) {
        var tr = rowFor(null);
        setVal(tr, "invoice", pre.invoice);
        var inv = invoices[pre.invoice];
        if (inv) {
          var take = dec(inv.open.replace(/,/g, "")), tf = round2(take.n, take.s);
          var pp = cfg.type === "advance_application" ? (cfg.prepayments[cfg.party] || {})[code(headerVal(cfg.party))] : null;
          if (pp) { var pd = dec(pp.replace(/,/g, "")), pf = round2(pd.n, pd.s); if (pf < tf) tf = pf; }
          setVal(tr, "alloc_amount", plainFen(tf));
          if (!headerVal("amount")) form.querySelector("[name=amount]").value = plainFen(tf);
        }
        renumber(); recalc();
      }
    });
  }
  refreshAvailability();
  recalc();
})();
