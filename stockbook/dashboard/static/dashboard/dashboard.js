// 对账看板: loads the JSON data endpoints, draws the ECharts charts, the detail table (drill-down) and the
// operation area; polls /dashboard/data/version and reloads when the books change.
(function () {
  "use strict";
  var root = document.getElementById("dash");
  if (!root || !window.echarts) return;
  var BASE = root.getAttribute("data-base");
  var MONEY = root.getAttribute("data-money") === "1";
  var form = document.getElementById("dash-filters");
  var state = { version: null, warehouse: null, loading: false, charts: {}, whRows: [], heat: null };
  var POLL_MS = 2000;

  function $(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // "-1234567.50" → "-1,234,567.50" (display only; the data stay exact strings)
  function fmt(s) {
    if (s == null || s === "") return "";
    var str = String(s), neg = str.charAt(0) === "-";
    if (neg) str = str.slice(1);
    var parts = str.split("."), int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + int + (parts.length > 1 ? "." + parts[1] : "");
  }
  function num(s) { var n = parseFloat(s); return isNaN(n) ? 0 : n; }
  function link(text, url, cls) {
    return url ? '<a href="' + esc(url) + '"' + (cls ? ' class="' + cls + '"' : "") + ">" + esc(text) + "</a>" : esc(text);
  }

  function filters() {
    var q = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && el.value) q.set(el.name, el.value);
    });
    return q;
  }
  function url(name, extra) {
    var q = filters();
    if (extra) Object.keys(extra).forEach(function (k) { if (extra[k]) q.set(k, extra[k]); });
    return BASE + "data/" + name + "?" + q.toString();
  }
  function getJSON(u) {
    return fetch(u, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.message || ("HTTP " + r.status));
        return body;
      });
    });
  }
  function showError(msg) {
    var live = $("dash-live-text");
    live.textContent = "出错：" + msg;
    $("dash-live").classList.add("err");
  }

  // ---- charts -------------------------------------------------------------------------------------
  function chart(id) {
    if (!state.charts[id]) {
      state.charts[id] = echarts.init($(id), null, { renderer: "canvas" });
    }
    return state.charts[id];
  }
  var RED = "#d92d20", GREEN = "#12b76a", BLUE = "#2e6bd6";

  function drawWarehouses(d) {
    state.whRows = d.rows;
    var c = chart("chart-wh");
    var names = d.rows.map(function (r) { return r.warehouse.name; });
    var values = d.rows.map(function (r) { return num(MONEY ? r.difference : r.qty); });
    c.setOption({
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (ps) {
        var r = d.rows[ps[0].dataIndex];
        var s = "<b>" + esc(r.warehouse.code + " " + r.warehouse.name) + "</b>" + (r.warehouse.region ? "（" + esc(r.warehouse.region) + "）" : "");
        if (MONEY) s += "<br>总账 " + fmt(r.gl) + "<br>明细账 " + fmt(r.sub) + "<br>差异 <b>" + fmt(r.difference) + "</b>";
        s += "<br>数量 " + fmt(r.qty) + (r.matched ? "<br>账实相符" : "<br>账实不符");
        return s + "<br><i>点击查看明细</i>";
      } },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: MONEY ? "差异（元）" : "数量" },
      series: [{ type: "bar", name: d.measure, barMaxWidth: 48, data: values.map(function (v, i) {
        var ok = d.rows[i].matched;
        return { value: v, itemStyle: { color: MONEY ? (ok ? GREEN : RED) : (ok ? BLUE : RED) } };
      }), label: { show: true, position: "top", formatter: function (p) { return fmt(MONEY ? d.rows[p.dataIndex].difference : d.rows[p.dataIndex].qty); } } }]
    }, true);
    root.setAttribute("data-wh-bars", String(values.length));
  }

  function drawHeatmap(d) {
    state.heat = d;
    var c = chart("chart-heat");
    var vals = d.cells.map(function (x) { return num(x[2]); });
    var max = Math.max.apply(null, [1].concat(vals.map(Math.abs)));
    c.setOption({
      grid: { left: 8, right: 16, top: 16, bottom: 56, containLabel: true },
      tooltip: { formatter: function (p) {
        return esc(d.warehouses[p.data[1]].name) + " × " + esc(d.categories[p.data[0]].name) + "<br>" + esc(d.measure) + " <b>" + fmt(d.cells[p.dataIndex][2]) + "</b>";
      } },
      xAxis: { type: "category", data: d.categories.map(function (x) { return x.name; }), splitArea: { show: true } },
      yAxis: { type: "category", data: d.warehouses.map(function (x) { return x.name; }), splitArea: { show: true } },
      visualMap: { min: MONEY ? -max : 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 100,
        inRange: { color: MONEY ? ["#2e6bd6", "#f2f4f7", "#d92d20"] : ["#eef4ff", "#2e6bd6"] } },
      series: [{ type: "heatmap", data: d.cells.map(function (x) { return [x[1], x[0], num(x[2])]; }),
        label: { show: d.cells.length <= 40, formatter: function (p) { return fmt(d.cells[p.dataIndex][2]); } } }]
    }, true);
  }

  function drawTrend(d) {
    var c = chart("chart-trend");
    c.setOption({
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: d.months, boundaryGap: false },
      yAxis: { type: "value" },
      series: d.series.map(function (s, i) {
        return { type: "line", name: s.name, data: s.data.map(num), smooth: false, symbolSize: 6, areaStyle: i === 0 ? { opacity: 0.08 } : undefined };
      })
    }, true);
  }

  // a click anywhere in a warehouse's column drills down (a zero bar has no height to hit)
  function wireClicks() {
    var c = chart("chart-wh");
    c.getZr().on("click", function (e) {
      var pt = [e.offsetX, e.offsetY];
      if (!c.containPixel("grid", pt)) return;
      var idx = c.convertFromPixel({ seriesIndex: 0 }, pt)[0];
      var r = state.whRows[idx];
      if (r && r.warehouse.code) drill(r.warehouse.code, r.warehouse.name);
    });
    chart("chart-heat").on("click", function (p) {
      var w = state.heat && state.heat.warehouses[p.data[1]];
      if (w && w.code) drill(w.code, w.name);
    });
  }

  // ---- overview, cases, detail ------------------------------------------------------------------
  function drawOverview(d) {
    $("dash-cards").innerHTML = d.cards.map(function (c) {
      var v = c.kind === "money" || c.kind === "qty" ? fmt(c.value) : c.value;
      return '<div class="card' + (c.alert ? " alert" : "") + '" data-key="' + esc(c.key) + '"><div class="n">' + esc(v) + '</div><div class="l">' +
        esc(c.label) + "</div>" + (c.detail ? '<div class="d muted">' + esc(c.kind === "money" ? c.detail : c.detail) + "</div>" : "") + "</div>";
    }).join("");
    if (d.pairs && d.pairs.length) {
      $("dash-pairs").innerHTML = '<div class="table-wrap"><table class="data compact"><thead><tr><th>对账项目</th><th>科目</th>' +
        '<th class="num">总账</th><th class="num">明细/单据</th><th class="num">差异</th><th class="num">未解释</th></tr></thead><tbody>' +
        d.pairs.map(function (p) {
          return "<tr" + (num(p.difference) ? ' class="diff"' : "") + "><td>" + esc(p.ledger_name) + (p.party ? ' <span class="badge">' + esc(p.party) + "</span>" : "") +
            "</td><td>" + esc(p.account) + ' <span class="acct-name">' + esc(p.name) + '</span></td><td class="num">' + fmt(p.gl) + '</td><td class="num">' + fmt(p.sub) +
            '</td><td class="num">' + fmt(p.difference) + '</td><td class="num">' + (p.unexplained == null ? "—" : fmt(p.unexplained)) + "</td></tr>";
        }).join("") + "</tbody></table></div>";
    } else {
      $("dash-pairs").innerHTML = "";
    }
  }

  function drawCases(d) {
    var note = d.source === "cases" ? "待确认 " + d.counts.open + " 项未结" : "按引擎未解释差异（差异工单尚未启用）";
    $("dash-ops-note").textContent = note;
    if (!d.rows.length) { $("dash-cases").innerHTML = '<li class="muted">没有待处理的差异</li>'; return; }
    $("dash-cases").innerHTML = d.rows.map(function (r) {
      return '<li class="case' + (r.urgent ? " urgent" : "") + (r.overdue ? " overdue" : "") + '"><span class="st">' + esc(r.status_label) + "</span> " +
        link(r.title, r.url) + (r.amount != null ? ' <span class="amt num">' + fmt(r.amount) + "</span>" : "") +
        '<div class="meta muted">' + esc([r.cause, r.warehouse ? r.warehouse.name : "", r.due ? "到期 " + r.due : ""].filter(Boolean).join(" · ")) +
        (r.refs && r.refs.length ? " · " + esc(r.refs.join("、")) : "") + "</div></li>";
    }).join("");
  }

  function table(head, rows) {
    return '<div class="table-wrap"><table class="data compact"><thead><tr>' + head.map(function (h) {
      return "<th" + (h.num ? ' class="num"' : "") + ">" + esc(h.t) + "</th>";
    }).join("") + "</tr></thead><tbody>" + (rows.length ? rows.join("") : '<tr><td colspan="' + head.length + '" class="empty">没有数据</td></tr>') + "</tbody></table></div>";
  }

  function drawDetail(d) {
    var html = "";
    if (!d.warehouse) {
      var head = [{ t: "仓库" }, { t: "区域" }, { t: "数量", num: 1 }];
      if (MONEY) head = head.concat([{ t: "总账", num: 1 }, { t: "明细账", num: 1 }, { t: "差异", num: 1 }]);
      head.push({ t: "状态" });
      html += "<h3>各仓库账实</h3>" + table(head, d.warehouses.map(function (r) {
        var w = r.warehouse;
        return '<tr class="' + (r.matched ? "" : "diff") + '"><td>' + (w.code ? '<a href="#" class="drill" data-wh="' + esc(w.code) + '" data-name="' + esc(w.name) + '">' + esc(w.code + " " + w.name) + "</a>" : esc(w.name)) +
          "</td><td>" + esc(w.region) + '</td><td class="num">' + fmt(r.qty) + "</td>" +
          (MONEY ? '<td class="num">' + fmt(r.gl) + '</td><td class="num">' + fmt(r.sub) + '</td><td class="num">' + fmt(r.difference) + "</td>" : "") +
          "<td>" + (r.matched ? '<span class="badge ok">相符</span>' : '<span class="badge bad">不符</span>') + "</td></tr>";
      }));
    } else {
      var ih = [{ t: "存货" }, { t: "分类" }, { t: "数量", num: 1 }];
      if (MONEY) ih = ih.concat([{ t: "总账", num: 1 }, { t: "明细账", num: 1 }, { t: "差异", num: 1 }]);
      ih.push({ t: "明细账 / 流水" });
      html += "<h3>存货（" + esc(d.warehouse.code + " " + d.warehouse.name) + "）</h3>" + table(ih, d.items.map(function (r) {
        return '<tr class="' + (MONEY && num(r.difference) ? "diff" : "") + '"><td>' + esc((r.item.code ? r.item.code + " " : "") + r.item.name) + "</td><td>" + esc(r.category) +
          '</td><td class="num">' + fmt(r.qty) + (r.item.uom ? " " + esc(r.item.uom) : "") + "</td>" +
          (MONEY ? '<td class="num">' + fmt(r.gl) + '</td><td class="num">' + fmt(r.sub) + '</td><td class="num">' + fmt(r.difference) + "</td>" : "") +
          "<td class=\"nowrap\">" + (r.ledger_url ? link("明细账", r.ledger_url, "item-ledger") + " · " + link("流水", r.moves_url, "item-moves") : "") + "</td></tr>";
      }));
    }
    var dh = [{ t: "对账项目" }, { t: "原因" }];
    if (MONEY) dh.push({ t: "金额", num: 1 });
    dh = dh.concat([{ t: "单据" }, { t: "凭证" }]);
    if (MONEY) dh.push({ t: "说明" });
    html += "<h3>差异项目</h3>" + table(dh, d.differences.map(function (r) {
      var docs = r.documents.map(function (x) { return link(x.ref, x.url, "doc-link"); }).concat(r.refs.map(esc)).join("、");
      var vs = r.vouchers.map(function (x) { return link(x.number, x.url, "voucher-link"); }).join("、");
      return '<tr class="' + (r.explained ? "" : "diff") + '"><td>' + esc(r.ledger_name + " " + r.account) + "</td><td>" +
        (r.explained ? esc(r.cause_name) : '<span class="badge bad">' + esc(r.cause_name) + "</span>") + "</td>" +
        (MONEY ? '<td class="num">' + fmt(r.amount) + "</td>" : "") + "<td>" + docs + "</td><td>" + vs + "</td>" +
        (MONEY ? '<td class="reason">' + esc(r.reason) + (r.action ? '<div class="muted">处理建议：' + esc(r.action) + "</div>" : "") + "</td>" : "") + "</tr>";
    }));
    $("dash-detail-body").innerHTML = html;
    $("dash-detail-title").textContent = d.warehouse ? d.warehouse.code + " " + d.warehouse.name : "全部仓库";
    $("dash-detail-back").hidden = !d.warehouse;
    var mv = $("dash-detail-moves");
    if (d.moves_url) { mv.href = d.moves_url; mv.hidden = false; } else { mv.hidden = true; }
    root.setAttribute("data-detail", d.warehouse ? d.warehouse.code : "");
  }

  function loadDetail() {
    return getJSON(url("details", state.warehouse ? { warehouse: state.warehouse } : null)).then(function (d) { drawDetail(d); return d; });
  }

  function drill(code) {
    state.warehouse = code;
    loadDetail().then(function () {
      $("dash-detail").scrollIntoView({ behavior: "smooth", block: "start" });
    }).catch(function (e) { showError(e.message); });
  }

  // ---- loading and polling ------------------------------------------------------------------------
  function loadAll() {
    if (state.loading) return Promise.resolve();
    state.loading = true;
    root.setAttribute("data-loaded", "0");
    var jobs = [
      getJSON(url("overview")).then(function (d) { drawOverview(d); $("dash-asof").textContent = d.as_of; return d; }),
      getJSON(url("by-warehouse")).then(function (d) { drawWarehouses(d); return d; }),
      getJSON(url("heatmap")).then(function (d) { drawHeatmap(d); return d; }),
      getJSON(url("trend")).then(function (d) { drawTrend(d); return d; }),
      getJSON(url("my-cases")).then(function (d) { drawCases(d); return d; }),
      loadDetail()
    ];
    return Promise.all(jobs).then(function (res) {
      state.version = res[0].version;
      // a payload another server process was still recomputing: ask again in a moment
      if (res.some(function (d) { return d && d.stale; })) { state.version = "stale"; }
      root.setAttribute("data-version", state.version);
      root.setAttribute("data-loaded", "1");
      var live = $("dash-live");
      live.classList.remove("err");
      $("dash-live-text").textContent = "已更新 " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
    }).catch(function (e) { showError(e.message); }).then(function () { state.loading = false; });
  }

  function poll() {
    if (!$("f-auto").checked || document.hidden || state.loading) return;
    getJSON(BASE + "data/version").then(function (d) {
      if (state.version && d.version !== state.version) loadAll();
    }).catch(function () { /* offline for a moment: try again on the next tick */ });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = filters();
    history.replaceState(null, "", BASE + (q.toString() ? "?" + q.toString() : ""));
    state.warehouse = null;
    loadAll();
  });
  Array.prototype.forEach.call(form.querySelectorAll("select, input[type=month]"), function (el) {
    el.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); });
  });
  $("dash-detail-back").addEventListener("click", function () { state.warehouse = null; loadDetail(); });
  $("dash-detail-body").addEventListener("click", function (e) {
    var a = e.target.closest("a.drill");
    if (a) { e.preventDefault(); drill(a.getAttribute("data-wh")); }
  });
  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { Object.keys(state.charts).forEach(function (k) { state.charts[k].resize(); }); }, 100);
  });
  // on a phone the filter panel starts folded
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) $("dash-filters-box").removeAttribute("open");

  wireClicks();
  loadAll();
  setInterval(poll, POLL_MS);
  window.stockbookDashboard = { state: state, reload: loadAll, drill: drill };
})();
