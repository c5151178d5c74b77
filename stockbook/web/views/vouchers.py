"""Vouchers (凭证): list with filters, detail with 大写 amount, print view, PDF, and manual voucher entry."""
import re
from datetime import date

import cn2an
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from stockbook.core.errors import DocError
from stockbook.core.money import from_fen
from stockbook.ledger.models import Account, Voucher
from stockbook.masterdata.models import Customer, Item, Supplier, Warehouse
from stockbook.posting.models import Document
from stockbook.posting.service import post

from .common import clean_amount, current_open_period, month_range, paginate, parse_day, parse_month, period_of

_DISPLAY = re.compile(r"^(?P<word>[^-\s]+)-(?P<y>\d{4})-(?P<m>\d{2})-(?P<n>\d+)$")
DIMS = ("customer", "supplier", "item", "warehouse")


def capital(fen: int) -> str:
    """Integer 分 → 人民币大写, e.g. 123450 → 壹仟贰佰叁拾肆元伍角."""
    amount = from_fen(abs(fen))
    text = cn2an.an2cn(f"{amount:.2f}", "rmb")
    if text.endswith("元") or text.endswith("角"):
        text += "整"
    return ("负" if fen < 0 else "") + text


def voucher_list(request):
    qs = Voucher.objects.select_related("document").order_by("period", "word", "number")
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("period", "from", "to", "account", "number", "word", "q")}
    p = parse_month(f["period"])
    if p:
        qs = qs.filter(period=p)
    if parse_day(f["from"]):
        qs = qs.filter(date__gte=parse_day(f["from"]))
    if parse_day(f["to"]):
        qs = qs.filter(date__lte=parse_day(f["to"]))
    if f["word"]:
        qs = qs.filter(word=f["word"])
    if f["account"]:
        code = f["account"].split()[0]
        qs = qs.filter(lines__account__code__startswith=code).distinct()
    if f["number"]:
        m = _DISPLAY.match(f["number"])
        if m:
            qs = qs.filter(word=m["word"], period=int(m["y"]) * 100 + int(m["m"]), number=int(m["n"]))
        elif f["number"].isdigit():
            qs = qs.filter(number=int(f["number"]))
        else:
            qs = qs.none()
    if f["q"]:
        qs = qs.filter(Q(memo__icontains=f["q"]) | Q(lines__summary__icontains=f["q"]) | Q(document__ref__icontains=f["q"])).distinct()
    page = paginate(request, qs)
    words = Voucher.objects.order_by("word").values_list("word", flat=True).distinct()
    return render(request, "web/voucher_list.html", {"page": page, "f": f, "words": words, "accounts": _account_choices()})


def _account_choices():
    return Account.objects.filter(active=True).order_by("code").values_list("code", "name")


def _lines(v):
    return v.lines.select_related("account", "customer", "supplier", "item", "warehouse", "department").order_by("line_no")


def voucher_detail(request, pk):
    v = get_object_or_404(Voucher.objects.select_related("document", "created_by"), pk=pk)
    siblings = Voucher.objects.filter(word=v.word, period=v.period)
    prev = siblings.filter(number__lt=v.number).order_by("-number").first()
    nxt = siblings.filter(number__gt=v.number).order_by("number").first()
    return render(request, "web/voucher_detail.html", {
        "v": v, "lines": _lines(v), "capital": capital(v.debit_total), "prev": prev, "next": nxt,
    })


def voucher_by_number(request, number):
    """/vouchers/no/记-2026-01-0001/ → that voucher (used by ledger drill-downs)."""
    m = _DISPLAY.match(number)
    if not m:
        raise Http404(number)
    v = get_object_or_404(Voucher, word=m["word"], period=int(m["y"]) * 100 + int(m["m"]), number=int(m["n"]))
    return redirect("web:voucher_detail", pk=v.pk)


def voucher_audit(request, pk):
    """审核 (POST): voucher_audit right, not the maker (segregation of duties)."""
    from stockbook.ledger.audit import audit_voucher

    if request.method == "POST":
        try:
            audit_voucher(pk, request.user)
            messages.success(request, _("Voucher audited."))
        except DocError as e:
            messages.error(request, e.message)
    return redirect("web:voucher_detail", pk=pk)


def voucher_unaudit(request, pk):
    """反审核 (POST, with a reason)."""
    from stockbook.ledger.audit import unaudit_voucher

    if request.method == "POST":
        try:
            unaudit_voucher(pk, request.user, request.POST.get("reason", ""))
            messages.success(request, _("Audit cancelled."))
        except DocError as e:
            messages.error(request, e.message)
    return redirect("web:voucher_detail", pk=pk)


def voucher_print(request, pk):
    """The 记账凭证 print layout of the reports app, with a small screen-only toolbar."""
    v = get_object_or_404(Voucher.objects.select_related("document", "created_by", "audited_by"), pk=pk)
    try:
        from stockbook.reports.voucher_pdf import voucher_html
    except ImportError:
        raise Http404("print layout not available")
    html = voucher_html(v)
    bar = render_to_string("web/_print_bar.html", {"v": v}, request=request)
    return HttpResponse(html.replace("<body>", "<body>" + bar, 1))


def voucher_pdf_view(request, pk):
    v = get_object_or_404(Voucher, pk=pk)
    try:
        from stockbook.reports.voucher_pdf import voucher_pdf
    except ImportError:
        messages.error(request, _("PDF vouchers are not available in this version yet; use the print view."))
        return redirect("web:voucher_detail", pk=pk)
    data = voucher_pdf(v)
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = content_disposition_header(
        request.GET.get("download") == "1", f"{v.display_number}.pdf")
    return resp


# -- manual voucher entry --------------------------------------------------------------------------

def _default_date() -> date:
    p = current_open_period()
    today = date.today()
    if p is None or period_of(today) == p:
        return today
    return month_range(p)[1] if period_of(today) > p else month_range(p)[0]


def _next_ref(d: date) -> str:
    prefix = f"JZ-{d:%Y%m}-"
    taken = set(Document.objects.filter(type="journal", ref__startswith=prefix).values_list("ref", flat=True))
    n = len(taken) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


def _blank_rows(n=4):
    return [{"summary": "", "account": "", "debit": "", "credit": "", **{d: "" for d in DIMS}} for _ in range(n)]


def _rows_from_post(data) -> list[dict]:
    cols = {k: data.getlist(k) for k in ("summary", "account", "debit", "credit", *DIMS)}
    n = max((len(v) for v in cols.values()), default=0)
    return [{k: (cols[k][i].strip() if i < len(cols[k]) else "") for k in cols} for i in range(n)]


def _journal(header: dict, rows: list[dict]) -> tuple[dict, list[int]]:
    """Build the interchange journal; returns it and the grid row index of each document line."""
    lines, index = [], []
    for i, r in enumerate(rows):
        if not (r["account"] or r["debit"] or r["credit"]):
            continue  # an empty row of the grid
        ln = {"account": r["account"].split()[0] if r["account"] else ""}
        if r["debit"]:
            ln["debit"] = clean_amount(r["debit"])
        if r["credit"]:
            ln["credit"] = clean_amount(r["credit"])
        if r["summary"]:
            ln["summary"] = r["summary"]
        for d in DIMS:
            if r[d]:
                ln[d] = r[d].split()[0]
        lines.append(ln)
        index.append(i)
    doc = {"type": "journal", "ref": header["ref"], "date": header["date"]}
    if header["memo"]:
        doc["memo"] = header["memo"]
    doc["lines"] = lines
    return doc, index


def voucher_new(request):
    errors, row_errors = {}, {}
    if request.method == "POST":
        header = {k: request.POST.get(k, "").strip() for k in ("date", "ref", "memo")}
        rows = _rows_from_post(request.POST)
        if not any(r["account"] or r["debit"] or r["credit"] for r in rows):
            errors["lines"] = _("Enter at least two lines.")
        else:
            doc, index = _journal(header, rows)
            try:
                res = post(doc, user=request.user, source="web")
            except DocError as e:
                if e.line is not None and 0 < e.line <= len(index):
                    row_errors[index[e.line - 1]] = e.message
                elif e.field in ("date", "ref", "memo"):
                    errors[e.field] = e.message
                else:
                    errors["lines"] = e.message
            else:
                if not res.posted:
                    messages.warning(request, _("This voucher was already entered."))
                    v = res.document.vouchers.first()
                else:
                    v = res.vouchers[0]
                    messages.success(request, _("Voucher %(no)s saved.") % {"no": v.display_number})
                if request.POST.get("then") == "new":
                    return redirect("web:voucher_new")
                return redirect("web:voucher_detail", pk=v.pk)
        while len(rows) < 2:
            rows.append(_blank_rows(1)[0])
    else:
        d = _default_date()
        header = {"date": d.isoformat(), "ref": _next_ref(d), "memo": ""}
        rows = _blank_rows()
    for i, r in enumerate(rows):
        r["error"] = row_errors.get(i, "")
    return render(request, "web/voucher_form.html", {
        "header": header, "rows": rows, "errors": errors, "has_errors": bool(errors or row_errors),
        "accounts": _account_choices(),
        "lists": {
            "customer": Customer.objects.filter(active=True).values_list("code", "name"),
            "supplier": Supplier.objects.filter(active=True).values_list("code", "name"),
            "item": Item.objects.filter(active=True).values_list("code", "name"),
            "warehouse": Warehouse.objects.filter(active=True).values_list("code", "name"),
        },
        "open_period": current_open_period(),
    })


