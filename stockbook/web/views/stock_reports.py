"""Stock report pages (库存余额, 收发存汇总表, 存货明细账, 出入库流水) and 账实核对 (reconcile), with filters,
drill-down (item → its ledger → document → voucher) and the csv/xlsx/pdf/json exports of every report.

The reports come from ``stockbook.reports``; these views only read the filters, lay the rows out with links
and serve ``render(rep, fmt)``.
"""
from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from stockbook.access.policy import visible_warehouses
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account
from stockbook.masterdata.models import Company, Item, Warehouse
from stockbook.posting.models import Document

from .common import default_range, parse_day
from .reports import EXPORT_FORMATS, export_response

PAGES = {
    "stock-balance": gettext_lazy("Stock balance"),
    "stock-summary": gettext_lazy("Receipts, issues and balances"),
    "item-ledger": gettext_lazy("Item ledger"),
    "moves": gettext_lazy("Stock moves"),
    "reconcile": gettext_lazy("Reconciliation"),
}
FILTERS = {  # which filters each page shows
    "stock-balance": ("as_of", "item", "warehouse"),
    "stock-summary": ("range", "warehouse"),
    "item-ledger": ("item", "warehouse", "range"),
    "moves": ("range", "item", "warehouse"),
    "reconcile": ("as_of",),
}
# documents a reconcile cause names, by the types they are
CAUSE_TYPES = {"manual_journal": ("journal",), "opening_mismatch": ("opening_balance", "opening_stock"),
               "pending_cost": ("sales_delivery", "scrap", "stock_count", "sales_return"), "unposted_document": None}


def _params(request, name):
    start, end = default_range(request)
    g = request.GET
    return {
        "as_of": parse_day(g.get("as_of")) or date.today(), "start": start, "end": end,
        "item": (g.get("item", "").strip().split() or [None])[0], "warehouse": g.get("warehouse", "").strip() or None,
    }


def _query(name, p, **extra) -> dict:
    f = FILTERS[name]
    q = {}
    if "as_of" in f:
        q["as_of"] = p["as_of"].isoformat()
    if "range" in f:
        q["from"], q["to"] = p["start"].isoformat(), p["end"].isoformat()
    for k in ("item", "warehouse"):
        if k in f and p.get(k):
            q[k] = p[k]
    q.update({k: v for k, v in extra.items() if v})
    return q


def build(name, p, user=None):
    """The report for the page or an export, as ``user`` may see it (stockbook.access)."""
    from stockbook.reports.registry import build_report

    if name == "stock-balance":
        rep = build_report(name, {"as_of": p["as_of"], "warehouse": p["warehouse"]}, user=user)
        if p["item"] or p["warehouse"]:
            _filter_balance(rep, p)
        from stockbook.invctl.stock_columns import add_reserved  # 已预留 / 可用量 (page rows only, not rep.data)

        return add_reserved(rep)
    if name == "reconcile":
        return build_report(name, {"as_of": p["as_of"]}, user=user)
    if name == "item-ledger" and not p["item"]:
        raise DocError("invalid_value", "请选择存货", field="item")
    return build_report(name, {"start": p["start"], "end": p["end"], "item": p["item"], "warehouse": p["warehouse"]}, user=user)


def _filter_balance(rep, p):
    """Only the rows of one item and/or warehouse (the page filters; the contract report has all rows)."""
    if p["item"] and not Item.objects.filter(code=p["item"]).exists():
        raise DocError("unknown_item", f"存货 {p['item']} 不存在", field="item")
    if p["warehouse"] and not Warehouse.objects.filter(code=p["warehouse"]).exists():
        raise DocError("unknown_warehouse", f"仓库 {p['warehouse']} 不存在", field="warehouse")

    def keep(r):
        return (not p["item"] or r["item"] == p["item"]) and (not p["warehouse"] or r["warehouse"] == p["warehouse"])

    keep_idx = [i for i, r in enumerate(rep.rows) if keep(r)]
    rep.rows = [rep.rows[i] for i in keep_idx]
    rep.data["rows"] = [r for r in rep.data["rows"] if keep(r)]
    from stockbook.core.money import parse_money, to_fen

    if any(c.key == "value" for c in rep.columns):  # hidden from users who may not see cost
        total = sum(to_fen(parse_money(r["value"], allow_zero=True, allow_negative=True)) for r in rep.rows)
        rep.totals = {**(rep.totals or {}), "value": fmt_money(total)}
    parts = [x for x in (p["item"], p["warehouse"]) if x]
    rep.subtitle += "（" + " / ".join(parts) + "）"


def _doc_url(doc_id):
    return reverse("web:document_detail", args=[doc_id]) if doc_id else None


def _item_ledger_url(p, item, warehouse, start, end):
    return reverse("web:stock_report", args=["item-ledger"]) + "?" + urlencode(
        {"item": item, "warehouse": warehouse or "", "from": start.isoformat(), "to": end.isoformat()})


def _year_start(d: date) -> date:
    comp = Company.current()
    first = date(d.year, 1, 1)
    if comp:
        first = max(first, date(comp.start_period // 100, comp.start_period % 100, 1))
    return min(first, d)


def _layout(rep, name, p):
    kinds = {c.key: c.kind for c in rep.columns}
    rows = []
    for r in rep.rows:
        cells = []
        for c in rep.columns:
            v = r.get(c.key)
            text = "" if v is None else str(v)
            href = None
            if name in ("item-ledger", "moves") and c.key in ("doc", "document") and r.get("document_id"):
                href = _doc_url(r["document_id"])
            elif name == "moves" and c.key == "item" and text:
                href = _item_ledger_url(p, text, r.get("warehouse"), p["start"], p["end"])
            elif name == "stock-balance" and c.key in ("item", "name"):
                href = _item_ledger_url(p, r["item"], r["warehouse"], _year_start(p["as_of"]), p["as_of"])
            elif name == "stock-summary" and c.key in ("item", "name"):
                href = _item_ledger_url(p, r["item"], r["warehouse"], p["start"], p["end"])
            cls = "num" if kinds[c.key] in ("money", "qty") else ""
            if c.key == "pending" and text:
                cls += " pending"
            if "待结转" in text:
                cls += " pending"
            cells.append((text, cls.strip(), href))
        rows.append({"cells": cells, "opening": name == "item-ledger" and not r.get("document_id")})
    totals = None
    if rep.totals:
        totals = [("" if rep.totals.get(c.key) is None else str(rep.totals.get(c.key)),
                   "num" if kinds[c.key] in ("money", "qty") else "") for c in rep.columns]
    return rows, totals


def _reconcile_rows(as_of: date):
    from stockbook.reports.reconcile import CAUSE_NAMES, LEDGER_NAMES, reconcile_rows

    rows = reconcile_rows(as_of)
    refs = {ref for r in rows for c in r["causes"] for ref in c["refs"]}
    by_ref: dict[str, list] = {}
    for d in Document.objects.filter(ref__in=refs).only("id", "ref", "type"):
        by_ref.setdefault(d.ref, []).append(d)
    names = dict(Account.objects.filter(code__in=[r["account"] for r in rows]).values_list("code", "name"))
    comp = Company.current()
    start = date(comp.start_period // 100, comp.start_period % 100, 1) if comp else as_of
    opening_start = min(start, as_of)
    out = []
    for r in rows:
        causes = []
        for c in r["causes"]:
            types = CAUSE_TYPES.get(c["cause"])
            links = []
            for ref in c["refs"]:
                cands = [d for d in by_ref.get(ref, []) if types is None or d.type in types] or by_ref.get(ref, [])
                if len(cands) == 1:
                    href = reverse("web:document_detail", args=[cands[0].pk])
                else:
                    href = reverse("web:document_list") + "?" + urlencode({"q": ref})
                links.append((ref, href))
            causes.append({"name": CAUSE_NAMES.get(c["cause"], c["cause"]), "code": c["cause"], "amount": fmt_money(c["amount"]),
                           "refs": links})
        out.append({
            "ledger": LEDGER_NAMES[r["ledger"]], "ledger_code": r["ledger"], "account": r["account"], "name": names.get(r["account"], ""),
            "gl": fmt_money(r["gl"]), "subledger": fmt_money(r["subledger"]), "difference": fmt_money(r["difference"]),
            "diff_nonzero": r["difference"] != 0, "unexplained": fmt_money(r["unexplained"]), "bad": r["unexplained"] != 0,
            "causes": causes,
            "ledger_href": reverse("web:detail_ledger") + "?" + urlencode(
                {"account": r["account"], "from": opening_start.isoformat(), "to": as_of.isoformat()}),
            "sub_href": (reverse("web:stock_report", args=["stock-balance"]) + "?" + urlencode({"as_of": as_of.isoformat()})
                         if r["ledger"] == "stock" else None),
        })
    return out


def report_page(request, name):
    if name not in PAGES:
        raise Http404(name)
    p = _params(request, name)
    rep, error, rows, totals, rec = None, None, [], None, None
    wants_item = name == "item-ledger"
    if not wants_item or p["item"]:
        try:
            if name == "reconcile":
                rec = _reconcile_rows(p["as_of"])
            else:
                rep = build(name, p, request.user)
        except DocError as e:
            error = e.message
        else:
            if rep is not None:
                rows, totals = _layout(rep, name, p)
    item = Item.objects.filter(code=p["item"]).first() if p["item"] else None
    return render(request, "web/stock_report.html", {
        "name": name, "title": PAGES[name], "rep": rep, "rows": rows, "totals": totals, "error": error, "p": p,
        "filters": FILTERS[name], "item": item, "rec": rec, "wants_item": wants_item,
        "warehouses": visible_warehouses(request.user).values_list("code", "name"),
        "export_query": urlencode(_query(name, p)), "formats": EXPORT_FORMATS,
        "has_output": rep is not None or rec is not None,
    })


def report_export(request, name, fmt):
    if name not in PAGES or fmt not in EXPORT_FORMATS:
        raise Http404(name)
    p = _params(request, name)
    try:
        rep = build(name, p, request.user)
    except DocError as e:
        return HttpResponse(e.message, status=422, content_type="text/plain; charset=utf-8")
    q = _query(name, p)
    parts = [name] + [q[k] for k in ("item", "warehouse") if q.get(k)]
    parts += [q["as_of"]] if "as_of" in q else [q["from"], q["to"]]
    return export_response(rep, fmt, parts)
