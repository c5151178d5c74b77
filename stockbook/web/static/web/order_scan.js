/* Scan-to-count on a line table of an order (receipt against a PO, delivery of an SO): a scanner types the
   code and Enter into #scan (its data-url is the barcode lookup); the line of that item (and unit, when the
   barcode names one) gets +1. #zero sets every line to 0 first, to count by scanning only. Quantities stay
   decimal text for the server; the +1 is rounded to the 4 decimals quantities have. */
(function () {
  var scan = document.getElementById("scan"), msg = document.getElementById("scan-msg");
  if (!scan) return;
  var url = scan.dataset.url;
  var zero = document.getElementById("zero");
  if (zero) zero.addEventListener("click", function () { document.querySelectorAll("#lines .qty").forEach(function (i) { i.value = "0"; }); });
  scan.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    var code = scan.value.trim(); scan.value = "";
    if (!code) return;
    fetch(url + "?code=" + encodeURIComponent(code), {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      if (d.error) { msg.textContent = d.error; return; }
      var tr = Array.prototype.find.call(document.querySelectorAll("#lines tbody tr"), function (t) {
        return t.dataset.item === d.item.code && (!d.unit || t.dataset.uom === d.unit); })
        || document.querySelector('#lines tbody tr[data-item="' + d.item.code + '"]');
      if (!tr) { msg.textContent = d.item.code + " " + d.item.name + " 不在本订单中"; return; }
      var q = tr.querySelector(".qty"), n = parseFloat(q.value || "0");
      q.value = String(Math.round((n + 1) * 10000) / 10000);
      msg.textContent = d.item.name + " 数量 +1 → " + q.value;
    });
  });
})();
