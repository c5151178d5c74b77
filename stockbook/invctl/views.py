"""Pages of 库存控制: one page per report with its filters and csv/xlsx/json downloads (the report is
``stockbook.invctl.reports``, built for the logged-in user: warehouse scope, no money without view_cost)."""
from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from stockbook.access.policy import visible_warehouses
from stockbook.core.errors import DocError

from .cli import params
from .reports import REPORTS

TITLES = {"safety": "安全库存预警", "dead": "呆滞库存", "abc": "ABC 分类", "turnover": "库存周转"}
EXPORTS = ("xlsx", "csv", "json")
NOTES = {
    "safety": "可用量 = 现存量 − 销售订单已预留量；低于下限或高于上限的存货按仓库与合计列出。",
    "dead": "截至日期前 N 个月内没有销售出库、调出、报废的有结存存货（按仓库）。",
    "abc": "按期间出库成本（销售出库 + 报废）排序：累计占比（不含本行）低于 A% 为 A 类，低于 A%+B% 为 B 类，其余为 C 类。",
    "turnover": "周转天数 = 平均库存金额 ÷（期间出库成本 ÷ 天数）；平均库存金额 = 期初与各月末库存金额的平均值。",
}


def _defaults(name, g):
    today = date.today()
    d = {k: g.get(k, "") for k in ("warehouse", "months", "as_of", "a", "b", "group")}
    d["start"] = g.get("from") or today.replace(month=1, day=1).isoformat() if name in ("abc", "turnover") else ""
    d["end"] = g.get("to") or today.isoformat() if name in ("abc", "turnover") else ""
    return d


def _build(request, name):
    if name not in REPORTS:
        raise Http404(name)
    q = _defaults(name, request.GET)
    return REPORTS[name](request.user, **params(name, lambda k: q.get(k) or None)), q


def page(request, name):
    if name not in REPORTS:
        raise Http404(name)
    rep, error, q = None, None, _defaults(name, request.GET)
    try:
        rep, q = _build(request, name)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        error = e.message
    rows = []
    if rep:
        keys = [c.key for c in rep.columns]
        for r in rep.rows:
            rows.append({"cells": [("" if r.get(k) is None else (r.get("status_text") if k == "status" else r.get(k)),
                                    "num" if c.kind != "text" else "") for k, c in zip(keys, rep.columns)],
                         "cls": r.get("status") or r.get("class") or r.get("level") or ""})
    query = {"from" if k == "start" else "to" if k == "end" else k: v for k, v in q.items() if v}
    return render(request, "invctl/report.html", {
        "name": name, "title": TITLES[name], "rep": rep, "rows": rows, "error": error, "q": q, "note": NOTES[name],
        "warehouses": visible_warehouses(request.user).values_list("code", "name"), "formats": EXPORTS,
        "export_query": urlencode(query), "reports": TITLES.items(),
    })


def export(request, name, fmt):
    if name not in REPORTS or fmt not in EXPORTS:
        raise Http404(name)
    from stockbook.access.policy import require
    from stockbook.web.views.reports import export_response

    require(request.user, "export")
    try:
        rep, q = _build(request, name)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        return HttpResponse(e.message, status=422, content_type="text/plain; charset=utf-8")
    return export_response(rep, fmt, ["invctl", name, date.today().isoformat()])
