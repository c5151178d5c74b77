"""Trial balance (发生额及余额表), general ledger (总账) and detail ledger (明细账), with drill-down and exports.

The reports themselves live in ``stockbook.reports``: these views only pick the parameters, lay the rows
out with links (balance → detail ledger → voucher) and serve ``render(rep, fmt)`` for the exports.
"""
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _

from stockbook.core.errors import DocError
from stockbook.ledger.models import Account
from stockbook.reports.base import CONTENT_TYPES, render as render_report

from .common import default_range
from .vouchers import _DISPLAY

EXPORT_FORMATS = ("csv", "xlsx", "pdf", "json")
DIM_KEYS = ("customer", "supplier", "item", "warehouse")
TITLES = {"trial-balance": "Trial balance", "general-ledger": "General ledger", "detail-ledger": "Detail ledger"}


def _params(request, name):
    start, end = default_range(request)
    p = {"start": start, "end": end, "account": request.GET.get("account", "").strip().split(" ")[0] or None}
    for k in DIM_KEYS:
        p[k] = request.GET.get(k, "").strip() or None
    lv = request.GET.get("level", "")
    p["level"] = int(lv) if lv.isdigit() and int(lv) > 0 else None
    return p


def build(name, p, user=None):
    """The Report for a page or an export (DocError when the parameters are wrong or it is not there yet),
    as ``user`` may see it (stockbook.access)."""
    if p["start"] > p["end"]:
        raise DocError("invalid_value", "开始日期不能晚于结束日期")
    if name == "trial-balance":
        from stockbook.access.reports import check_report, strip_report
        from stockbook.reports.trial_balance import trial_balance

        check_report(user, name, {})
        return strip_report(trial_balance(p["start"], p["end"], level=p["level"]), user)
    if name in ("general-ledger", "detail-ledger") and not p["account"]:
        raise DocError("invalid_value", "请选择会计科目", field="account")
    from stockbook.reports.registry import build_report

    return build_report(name, {k: v for k, v in p.items() if k != "level"}, user=user)


def _query(p, **extra):
    q = {"from": p["start"].isoformat(), "to": p["end"].isoformat()}
    for k in ("account", *DIM_KEYS, "level"):
        if p.get(k):
            q[k] = p[k]
    q.update({k: v for k, v in extra.items() if v is not None})
    return q


def _voucher_href(value):
    if isinstance(value, str) and _DISPLAY.match(value.strip()):
        return reverse("web:voucher_by_number", args=[value.strip()])
    return None


def _layout(rep, name, p):
    """Rows of (text, css class, href) for the template."""
    money_cols = {c.key for c in rep.columns if c.kind in ("money", "qty")}
    rows = []
    for i, r in enumerate(rep.rows):
        href_row = rep.links.get(i) if rep.links else None
        cells = []
        for c in rep.columns:
            v = r.get(c.key)
            text = "" if v is None else str(v)
            href = None
            if name == "trial-balance" and c.key in ("account", "name"):
                href = reverse("web:detail_ledger") + "?" + urlencode(_query({**p, "level": None}, account=r.get("account")))
            elif name == "general-ledger" and c.key in ("period", "month") and text:
                href = _month_drill(p, text)
            elif c.key == "voucher" and r.get("voucher_id"):
                href = reverse("web:voucher_detail", args=[r["voucher_id"]])
            elif "voucher" in c.key:
                href = _voucher_href(text)
            elif href_row and c.key == rep.columns[0].key:
                href = href_row
            cells.append((text, "num" if c.key in money_cols else "", href))
        rows.append({"cells": cells, "level": r.get("level"), "kind": r.get("kind", "")})
    totals = None
    if rep.totals:
        totals = [("" if rep.totals.get(c.key) is None else str(rep.totals.get(c.key)), "num" if c.key in money_cols else "")
                  for c in rep.columns]
    return rows, totals


def _month_drill(p, text):
    from .common import month_range, parse_month

    m = parse_month(text[:7])
    if not m:
        return None
    first, last = month_range(m)
    first, last = max(first, p["start"]), min(last, p["end"])
    return reverse("web:detail_ledger") + "?" + urlencode(_query({**p, "start": first, "end": last, "level": None}))


def report_page(request, name):
    if name not in TITLES:
        raise Http404(name)
    p = _params(request, name)
    rep, error, rows, totals = None, None, [], None
    wants_account = name != "trial-balance"
    if not wants_account or p["account"]:
        try:
            rep = build(name, p, request.user)
        except DocError as e:
            error = e.message
        else:
            rows, totals = _layout(rep, name, p)
    account = Account.objects.filter(code=p["account"]).first() if p["account"] else None
    levels = sorted(set(Account.objects.values_list("level", flat=True)))
    return render(request, "web/report.html", {
        "name": name, "title": _(TITLES[name]), "rep": rep, "rows": rows, "totals": totals, "error": error, "p": p,
        "account": account, "levels": levels, "wants_account": wants_account,
        "accounts": Account.objects.filter(active=True).order_by("code").values_list("code", "name"),
        "export_query": urlencode(_query(p)), "formats": EXPORT_FORMATS,
    })


def report_export(request, name, fmt):
    if name not in TITLES or fmt not in EXPORT_FORMATS:
        raise Http404(name)
    p = _params(request, name)
    try:
        rep = build(name, p, request.user)
    except DocError as e:
        return HttpResponse(e.message, status=422, content_type="text/plain; charset=utf-8")
    parts = [name] + ([p["account"]] if p["account"] else []) + [p["start"].isoformat(), p["end"].isoformat()]
    return export_response(rep, fmt, parts)


def export_response(rep, fmt: str, parts: list[str]) -> HttpResponse:
    """A report as a download named ``part_part….fmt`` (the books' and the stock pages' exports)."""
    resp = HttpResponse(render_report(rep, fmt), content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = content_disposition_header(True, "_".join(parts) + "." + fmt)
    return resp
