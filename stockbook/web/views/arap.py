"""应收账龄 / 应付账龄 (filters: as-of, region, party; a cell drills to the invoices in it) and 对账单
(party + range, downloads). The reports are ``stockbook.reports.aging`` / ``statement``, built through
``build_report(…, user)`` so access rules (view_documents + view_price, party scope) apply (docs/ar-ap.md).
"""
from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money
from stockbook.masterdata.models import Region
from stockbook.reports.aging import BUCKET_TITLES, BUCKETS, SIDES, bucket_of, bucket_items, party_filter, resolve_party
from stockbook.reports.registry import build_report

from .common import default_range, parse_day
from .reports import export_response

EXPORT_FORMATS = ("xlsx", "pdf", "csv", "json")
TITLES = {"ar": "应收账龄", "ap": "应付账龄"}


def _side(kind):
    if kind not in ("ar", "ap"):
        raise Http404(kind)
    return SIDES[kind]


def _bad_date(request, *keys):
    for k in keys:
        v = request.GET.get(k)
        if v and parse_day(v) is None:
            raise DocError("invalid_value", f"日期格式不正确：{v}（应为 YYYY-MM-DD）", field=k)


def _aging_params(request, side):
    _bad_date(request, "as_of")
    g = request.GET
    return {"as_of": parse_day(g.get("as_of")) or date.today(), "region": g.get("region", "").strip() or None,
            side.party: g.get("party", "").strip() or None}


def _aging_query(side, p, **extra):
    q = {"as_of": p["as_of"].isoformat()}
    if p.get("region"):
        q["region"] = p["region"]
    if p.get(side.party):
        q["party"] = p[side.party]
    q.update(extra)
    return q


def aging_page(request, kind):
    side = _side(kind)
    rep, error, rows, p = None, None, [], {"as_of": date.today()}
    try:
        p = _aging_params(request, side)
        rep = build_report(side.report, p, user=request.user)
    except DocError as e:
        if e.code == "not_allowed" and not e.field:
            raise
        error = e.message
    if rep is not None:
        base = reverse("web:arap_items", args=[kind])
        for r in rep.rows:
            cells = []
            for k in ("total", *BUCKETS):
                href = None
                if r[k] != "0.00":
                    href = base + "?" + urlencode(_aging_query(side, p, party=r[side.party], **({} if k == "total" else {"bucket": k})))
                cells.append((r[k], href))
            st = reverse("web:arap_statement") + "?" + urlencode({"party_type": side.party, "party": r[side.party],
                                                                  "to": p["as_of"].isoformat()})
            rows.append({"code": r[side.party], "name": r["name"], "cells": cells, "negative": r["total"].startswith("-"),
                         "statement": st})
    return render(request, "web/arap_aging.html", {
        "kind": kind, "side": side, "title": TITLES[kind], "rep": rep, "rows": rows, "error": error, "p": p,
        "party": p.get(side.party) or "", "buckets": [BUCKET_TITLES[b] for b in BUCKETS],
        "regions": Region.objects.order_by("code").values_list("code", "name"),
        "export_query": urlencode(_aging_query(side, p)) if rep is not None else "", "formats": EXPORT_FORMATS,
    })


def aging_export(request, kind, fmt):
    side = _side(kind)
    if fmt not in EXPORT_FORMATS:
        raise Http404(fmt)
    try:
        p = _aging_params(request, side)
        rep = build_report(side.report, p, user=request.user)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        return HttpResponse(e.message, status=422, content_type="text/plain; charset=utf-8")
    parts = [side.report] + [x for x in (p.get("region"), p.get(side.party)) if x] + [p["as_of"].isoformat()]
    return export_response(rep, fmt, parts)


def aging_items(request, kind):
    """The open invoices (and 预收/预付 credits) of one party behind an aging cell."""
    side = _side(kind)
    try:
        p = _aging_params(request, side)
        if not p.get(side.party):
            raise DocError("invalid_value", f"请指定{side.party_title}", field="party")
        bucket = request.GET.get("bucket") or None
        if bucket is not None and bucket not in BUCKETS:
            raise DocError("invalid_value", f"账龄区间 {bucket} 不存在", field="bucket")
        from stockbook.access.reports import check_report

        p = check_report(request.user, side.report, p)
        ids = party_filter(side, p)  # scope, unknown party
        party = resolve_party(side, p[side.party])
        items = bucket_items(side, p["as_of"], party.pk, bucket) if ids and party.pk in ids else []
    except DocError as e:
        if e.code == "not_allowed":
            raise
        return render(request, "web/arap_items.html", {"kind": kind, "side": side, "title": TITLES[kind], "error": e.message}, status=422)
    rows = [{"date": it.date, "ref": it.ref, "kind": "预收" if it.credit and kind == "ar" else ("预付" if it.credit else "发票"),
             "gross": fmt_money(it.gross), "open": fmt_money(it.open), "age": (p["as_of"] - it.date).days,
             "bucket": BUCKET_TITLES[bucket_of((p["as_of"] - it.date).days)],
             "href": reverse("web:document_detail", args=[it.doc_id])} for it in items]
    total = fmt_money(sum(it.open for it in items))
    back = reverse("web:arap_aging", args=[kind]) + "?" + urlencode(_aging_query(side, {**p, side.party: None}))
    return render(request, "web/arap_items.html", {
        "kind": kind, "side": side, "title": TITLES[kind], "party": party, "rows": rows, "total": total, "p": p,
        "bucket": BUCKET_TITLES.get(bucket) if bucket else None, "back": back,
    })


def _statement_params(request):
    _bad_date(request, "from", "to")
    g = request.GET
    start, end = default_range(request)
    ptype = g.get("party_type", "customer")
    if ptype not in ("customer", "supplier"):
        raise DocError("invalid_value", "往来单位类型只能是 customer 或 supplier", field="party_type")
    code = g.get("party", "").strip() or None
    return {"start": start, "end": end, ptype: code, "party_type": ptype, "party": code}


def _statement_query(p):
    return {"party_type": p["party_type"], "party": p["party"] or "", "from": p["start"].isoformat(), "to": p["end"].isoformat()}


def statement_page(request):
    rep, error = None, None
    p = {"party_type": request.GET.get("party_type", "customer"), "party": None, "start": None, "end": None}
    try:
        p = _statement_params(request)
        if p["party"]:
            rep = build_report("statement", {k: p[k] for k in ("start", "end", p["party_type"])}, user=request.user)
    except DocError as e:
        if e.code == "not_allowed" and not e.field:
            raise
        error = e.message
    rows = []
    if rep is not None:
        for r in rep.rows:
            href = reverse("web:document_detail", args=[r["doc_id"]]) if r.get("doc_id") else None
            rows.append({"cells": [(r.get(c.key) or "", "num" if c.kind == "money" else "", href if c.key == "ref" else None)
                                   for c in rep.columns], "kind": r.get("kind", "")})
    from stockbook.masterdata.models import Customer, Supplier
    from stockbook.reports.aging import scope_regions

    scope = scope_regions(request.user)
    customers, suppliers = Customer.objects.order_by("code"), Supplier.objects.order_by("code")
    if scope is not None:
        customers, suppliers = customers.filter(region_id__in=scope), suppliers.filter(region_id__in=scope)

    return render(request, "web/arap_statement.html", {
        "title": "往来对账单", "rep": rep, "rows": rows, "error": error, "p": p,
        "customers": customers.values_list("code", "name"), "suppliers": suppliers.values_list("code", "name"),
        "export_query": urlencode(_statement_query(p)) if rep is not None else "", "formats": EXPORT_FORMATS,
    })


def statement_export(request, fmt):
    if fmt not in EXPORT_FORMATS:
        raise Http404(fmt)
    try:
        p = _statement_params(request)
        rep = build_report("statement", {k: p[k] for k in ("start", "end", p["party_type"])}, user=request.user)
    except DocError as e:
        if e.code == "not_allowed":
            raise
        return HttpResponse(e.message, status=422, content_type="text/plain; charset=utf-8")
    return export_response(rep, fmt, ["statement", p["party"], p["start"].isoformat(), p["end"].isoformat()])


def dunning_page(request):
    """催款清单: overdue customers as of a date; a POST (with doc_cash) sends the reminders (stockbook.notify)."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from stockbook.access.policy import can

    rep, error, p = None, None, {"as_of": date.today()}
    try:
        _bad_date(request, "as_of")
        p = {"as_of": parse_day(request.GET.get("as_of") or request.POST.get("as_of")) or date.today()}
        rep = build_report("dunning", p, user=request.user)
    except DocError as e:
        if e.code == "not_allowed" and not e.field:
            raise
        error = e.message
    may_remind = can(request.user, "doc_cash")
    if request.method == "POST" and rep is not None:
        if not may_remind:
            raise DocError("not_allowed", "发送催款提醒需要「收付款与盘点处理」权限")
        from stockbook.access.reports import check_report
        from stockbook.reports.dunning import remind

        n = remind(p["as_of"], check_report(request.user, "dunning", dict(p)))
        messages.success(request, f"已发送 {n} 位客户的催款提醒")
        return redirect(reverse("web:arap_dunning") + "?" + urlencode({"as_of": p["as_of"].isoformat()}))
    rows = []
    if rep is not None:
        for r in rep.rows:
            href = reverse("web:arap_items", args=["ar"]) + "?" + urlencode({"as_of": p["as_of"].isoformat(), "party": r["customer"]})
            rows.append({**r, "href": href})
    return render(request, "web/arap_dunning.html", {"title": "催款清单", "rep": rep, "rows": rows, "error": error, "p": p,
                                                     "may_remind": may_remind})
