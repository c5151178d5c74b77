"""Business documents (单据): the list with filters, one entry form shared by every type, and the document
page with its lines, stock moves, vouchers and related documents.

The form builds the interchange dict of contract section 3 and calls ``post()``; a DocError is shown on
the grid line (``DocError.line``) or header field (``DocError.field``) it is about, and nothing is written.
"""
import json
from datetime import date

from django.contrib import messages
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stockbook.access import policy
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty, from_fen
from stockbook.ledger.models import Account
from stockbook.masterdata.models import Customer, Item, Supplier
from stockbook.posting.models import Document, DocumentLine
from stockbook.posting.service import TYPE_NAMES, post
from stockbook.posting.sync import caused_by, vouchers_of
from stockbook.reports.stock_reports import CODE_NAMES

from ..doctypes import COL_LABELS, DOC_TYPES, GROUPS, HEADER_LABELS, INPUT_COLS, LIST_TYPES, SIDES
from ..panels import panels_for
from .common import clean_amount, paginate, parse_day
from .stock_api import item_info
from .vouchers import _default_date


def type_label(t: str) -> str:
    return str(LIST_TYPES[t]) if t in LIST_TYPES else TYPE_NAMES.get(t, t)


def next_ref(typ: str, d: date) -> str:
    """The next free ref of a type for a day: CGRK-20261126-001."""
    prefix = f"{DOC_TYPES[typ].prefix}-{d:%Y%m%d}-"
    taken = set(Document.objects.filter(type=typ, ref__startswith=prefix).values_list("ref", flat=True))
    n = len(taken) + 1
    while f"{prefix}{n:03d}" in taken:
        n += 1
    return f"{prefix}{n:03d}"


# -- list ---------------------------------------------------------------------------------------------------
def document_list(request):
    g = request.GET
    f = {k: g.get(k, "").strip() for k in ("type", "from", "to", "party", "warehouse", "q", "status")}
    qs = Document.objects.filter(type__in=list(LIST_TYPES)).select_related("supplier", "customer", "warehouse", "created_by")
    qs = policy.filter_documents(request.user, qs)
    if f["type"] in LIST_TYPES:
        qs = qs.filter(type=f["type"])
    if parse_day(f["from"]):
        qs = qs.filter(date__gte=parse_day(f["from"]))
    if parse_day(f["to"]):
        qs = qs.filter(date__lte=parse_day(f["to"]))
    if f["party"]:
        p = f["party"].split()[0]
        qs = qs.filter(Q(supplier__code=p) | Q(customer__code=p) | Q(supplier__name__icontains=f["party"])
                       | Q(customer__name__icontains=f["party"]))
    if f["warehouse"]:
        qs = qs.filter(Q(warehouse__code=f["warehouse"]) | Q(lines__to_warehouse__code=f["warehouse"])
                       | Q(lines__warehouse__code=f["warehouse"])).distinct()
    if f["q"]:
        qs = qs.filter(Q(ref__icontains=f["q"]) | Q(memo__icontains=f["q"]))
    if f["status"] in (Document.POSTED, Document.DRAFT, Document.VOID):
        qs = qs.filter(status=f["status"])
    page = paginate(request, qs.order_by("-date", "-id"))
    sums = {r["document_id"]: (r["a"], r["t"]) for r in DocumentLine.objects.filter(document_id__in=[d.pk for d in page])
            .values("document_id").annotate(a=Sum("amount"), t=Sum("tax"))}
    for d in page:
        d.type_label = type_label(d.type)
        d.party = d.supplier or d.customer
        a, t = sums.get(d.pk, (None, None))
        d.total = d.amount if d.amount is not None else (None if a is None else a + (t or 0))
    return render(request, "web/document_list.html", {
        "page": page, "f": f, "types": [(k, str(v)) for k, v in LIST_TYPES.items()], "menu": _menu(),
        "warehouses": policy.visible_warehouses(request.user).values_list("code", "name"),
        "statuses": [(Document.POSTED, _("Posted")), (Document.DRAFT, _("Draft")), (Document.VOID, _("Void"))],
        "parties": _party_choices(), "show_price": policy.sees_price(request.user),
    })


def _menu(user=None):
    """Document types by group: those the user may enter (all for None)."""
    out = []
    for g, label in GROUPS:
        types = [d for d in DOC_TYPES.values() if d.group == g and (user is None or policy.can_post(user, d.type))]
        if types:
            out.append((label, types))
    return out


def _party_choices():
    return ([(c, n) for c, n in Supplier.objects.filter(active=True).order_by("code").values_list("code", "name")]
            + [(c, n) for c, n in Customer.objects.filter(active=True).order_by("code").values_list("code", "name")])


def document_choose(request):
    return render(request, "web/document_choose.html", {"menu": _menu(request.user)})


# -- entry form ---------------------------------------------------------------------------------------------
def _blank_row(dt):
    return {k: "" for k in INPUT_COLS}


def _rows_from_post(data, dt) -> list[dict]:
    cols = {k: data.getlist(k) for k in INPUT_COLS}
    n = max((len(v) for v in cols.values()), default=0)
    return [{k: (cols[k][i].strip() if i < len(cols[k]) else "") for k in cols} for i in range(n)]


def _is_blank(dt, r) -> bool:
    keys = {"item": ("item", "qty", "counted_qty", "unit_price", "unit_cost"), "ref": ("src_ref", "src_line", "qty", "unit_price"),
            "ref1": ("qty",), "alloc": ("invoice", "alloc_amount")}[dt.lines]
    return not any(r[k] for k in keys)


def _num(text):
    return clean_amount(text)


def build_document(dt, header: dict, rows: list[dict]) -> tuple[dict, list[int]]:
    """The interchange dict of a form, and the grid row index of each document line."""
    doc = {"type": dt.type, "ref": header.get("ref", ""), "date": header.get("date", "")}
    t = header.get("time", "")
    if t:
        doc["time"] = t if len(t) == 8 else (t + ":00" if len(t) == 5 else t)
    side = _side(dt, header)
    for h in dt.header:
        v = header.get(h, "")
        if h == "prepayment":  # a checkbox: sent only when ticked (docs/contract-extensions.md §2)
            if v:
                doc["prepayment"] = True
            continue
        if h == "side" or (side and h in SIDES and h != side):  # advance_application names one party only
            continue
        if h == "amount":
            v = _num(v)
        if h in ("supplier", "customer", "account") and v:
            v = v.split()[0]
        if v or h != "reason":
            if v:
                doc[h] = v
    lines, index = [], []
    for i, r in enumerate(rows):
        if dt.lines == "none" or _is_blank(dt, r):
            continue
        ln = {}
        if dt.lines == "item":
            ln["item"] = r["item"].split()[0] if r["item"] else ""
            qkey = "counted_qty" if dt.type == "stock_count" else "qty"
            ln[qkey] = _num(r[qkey])
            if r["uom"]:
                ln["uom"] = r["uom"]
            if "unit_price" in dt.cols:
                ln["unit_price"] = _num(r["unit_price"])
            if "unit_cost" in dt.cols and r["unit_cost"]:
                ln["unit_cost"] = _num(r["unit_cost"])
            for k in ("batch", "expiry"):  # extension fields of batch-managed items (docs/batches.md)
                if k in dt.cols and r.get(k):
                    ln[k] = r[k]
        elif dt.lines in ("ref", "ref1"):
            if dt.lines == "ref":
                ln[dt.ref_key] = r["src_ref"]
            ln["line"] = int(r["src_line"]) if r["src_line"].isdigit() else r["src_line"]
            ln["qty"] = _num(r["qty"])
            if r["uom"]:
                ln["uom"] = r["uom"]
            if dt.lines == "ref" and "unit_price" in dt.cols:  # a red invoice takes its blue line's price
                ln["unit_price"] = _num(r["unit_price"])
                if r["tax_rate"]:
                    ln["tax_rate"] = _num(r["tax_rate"])
        elif dt.lines == "alloc":
            ln = {"invoice": r["invoice"].split()[0] if r["invoice"] else "", "amount": _num(r["alloc_amount"])}
        lines.append(ln)
        index.append(i)
    if dt.lines == "alloc":
        if lines:
            doc["allocations"] = lines
    elif dt.lines != "none":
        doc["lines"] = lines
    return doc, index


def _side(dt, header: dict) -> str:
    """advance_application: the party side of the form (customer | supplier); "" for other types."""
    if "side" not in dt.header:
        return ""
    side = header.get("side", "")
    if side not in SIDES:
        side = "supplier" if header.get("supplier") and not header.get("customer") else "customer"
    return side


def open_prepayments() -> dict:
    """{"customer": {code: fen}, "supplier": {code: fen}}: each party's open prepayment (posted prepayments −
    advance applications), the balance an advance_application may apply; parties at 0 are left out."""
    out = {"customer": {}, "supplier": {}}
    rows = (Document.objects.filter(Q(type__in=("customer_receipt", "supplier_payment"), prepayment=True)
                                    | Q(type="advance_application"), status=Document.POSTED)
            .values("type", "customer__code", "supplier__code").annotate(a=Sum("amount")))
    for r in rows:
        kind = "customer" if r["customer__code"] else "supplier"
        code = r[f"{kind}__code"]
        a = (r["a"] or 0) * (-1 if r["type"] == "advance_application" else 1)
        out[kind][code] = out[kind].get(code, 0) + a
    return {k: {c: a for c, a in v.items() if a} for k, v in out.items()}


def _units_for(codes) -> dict:
    items = Item.objects.filter(code__in=[c for c in codes if c]).prefetch_related("units")
    return {i.code: item_info(i) for i in items}


def document_new(request, type):
    dt = DOC_TYPES.get(type)
    if dt is None:
        raise Http404(type)
    policy.require(request.user, policy.doc_capability(type))  # the page guard turns a refusal into a 403 page
    errors, row_errors, top_error = {}, {}, None
    if request.method == "POST":
        header = {k: request.POST.get(k, "").strip() for k in ("date", "time", "ref", *dt.header)}
        rows = _rows_from_post(request.POST, dt)
        doc, index = build_document(dt, header, rows)
        if dt.lines not in ("none", "alloc") and not doc["lines"]:
            top_error = _("Enter at least one line.")
        else:
            try:
                res = post(doc, user=request.user, source="web")
            except DocError as e:
                if e.line is not None and 0 < e.line <= len(index):
                    row_errors[index[e.line - 1]] = e.message
                elif e.field in ("date", "time", "ref", *dt.header):
                    errors[e.field] = e.message
                else:
                    top_error = e.message
                if e.code == "duplicate_ref" and "ref" not in errors:
                    errors["ref"] = e.message
            else:
                if res.status == "pending":  # an approval workflow covers it: posted when approved
                    messages.success(request, _("Submitted for approval: %(type)s %(ref)s") % {"type": dt.label, "ref": res.approval.ref})
                    if request.POST.get("then") == "new":
                        return redirect("web:document_new", type=dt.type)
                    return redirect(res.approval.get_absolute_url())
                if res.posted:
                    messages.success(request, _("%(type)s %(ref)s posted.") % {"type": dt.label, "ref": res.document.ref})
                else:
                    messages.warning(request, _("This document was already posted."))
                if request.POST.get("then") == "new":
                    return redirect("web:document_new", type=dt.type)
                return redirect("web:document_detail", pk=res.document.pk)
    else:
        d = parse_day(request.GET.get("date")) or _default_date()
        header = {"date": d.isoformat(), "time": "", "ref": next_ref(dt.type, d)}
        for h in dt.header:
            header[h] = request.GET.get(h, "").strip()
        if "side" in dt.header:
            header["side"] = _side(dt, header)
        rows = [] if dt.lines in ("none", "ref1", "alloc") else [_blank_row(dt) for _ in range(3)]
    prefill = {} if request.method == "POST" else {k: request.GET.get(k, "").strip() for k in ("receipt", "delivery", "invoice")
                                                     if request.GET.get(k, "").strip() and k not in dt.header}
    info = _units_for({r["item"].split()[0] for r in rows if r.get("item")})
    for i, r in enumerate(rows):
        r["error"] = row_errors.get(i, "")
        code = r["item"].split()[0] if r["item"] else ""
        it = info.get(code)
        r["item_name"] = it["name"] if it else ""
        r["units"] = [u["name"] for u in it["units"]] if it else ([r["uom"]] if r["uom"] else [])
    has_errors = bool(errors or row_errors or top_error)
    side = _side(dt, header)
    party, ref_type = SIDES[side] if side else (dt.party, dt.ref_type)
    prepaid = ({k: {c: f"{from_fen(a):,.2f}" for c, a in v.items()} for k, v in open_prepayments().items()}
               if dt.type in ("advance_application", "customer_receipt", "supplier_payment") and policy.sees_price(request.user) else {})
    return render(request, "web/doc_form.html", {
        "dt": dt, "label": dt.label, "header": header, "rows": rows, "errors": errors, "top_error": top_error,
        "has_errors": has_errors, "row_errors": row_errors,
        "header_fields": [(h, HEADER_LABELS[h]) for h in dt.header],
        "cols": [(c, COL_LABELS[c]) for c in dt.cols],
        "warehouses": policy.visible_warehouses(request.user).filter(active=True).values_list("code", "name"),
        "suppliers": Supplier.objects.filter(active=True).order_by("code").values_list("code", "name"),
        "customers": Customer.objects.filter(active=True).order_by("code").values_list("code", "name"),
        "cash_accounts": Account.objects.filter(active=True).filter(Q(code__startswith="1001") | Q(code__startswith="1002"))
        .order_by("code").values_list("code", "name"),
        "open_counts": _open_counts() if dt.type == "count_settlement" else [],
        "ref_choices": _ref_choices(dt) if dt.lines == "ref1" else [],
        "side": side, "sides": [("customer", "预收冲应收（客户）"), ("supplier", "预付冲应付（供应商）")],
        "config": json.dumps({"type": dt.type, "lines": dt.lines, "cols": list(dt.cols), "ref_type": ref_type,
                              "ref_key": dt.ref_key, "party": party, "prepayments": prepaid, "availability": dt.availability,
                              "barcode": dt.barcode, "items": info, "prefill": prefill, "urls": _api_urls()}, ensure_ascii=False).replace("<", "\\u003c"),
    })


def _api_urls():
    return {k: reverse(f"web:stock_{k}") for k in ("search", "barcode", "availability", "ref_lines", "open_documents",
                                                    "open_invoices", "next_ref")}


def _open_counts():
    settled = Document.objects.filter(type="count_settlement").values_list("ref_document_id", flat=True)
    return (Document.objects.filter(type="stock_count", status=Document.POSTED).exclude(pk__in=settled)
            .select_related("warehouse").order_by("-date", "-id")[:200])


def _ref_choices(dt):
    return (Document.objects.filter(type=dt.ref_type, status=Document.POSTED).select_related("supplier", "customer")
            .order_by("-date", "-id")[:300])


# -- document page ------------------------------------------------------------------------------------------
RESULT_LABELS = {
    "value": gettext_lazy("Value"), "P": gettext_lazy("Part taken (P)"), "stock": gettext_lazy("Difference to stock"),
    "cogs": gettext_lazy("Difference to cost of sales"), "cost": gettext_lazy("Cost"), "diff": gettext_lazy("Count difference"),
}


def _result_text(doc, ln) -> list[tuple[str, str]]:
    """What costing gave a line, for people: 成本 1,234.56, 冲销暂估 (P) …, 盘盈 2 kg …"""
    r = ln.result or {}
    out = []
    for k in ("P", "value", "cost", "stock", "cogs", "diff"):
        if k not in r:
            continue
        v = r[k]
        if k == "diff":
            if not v:
                out.append((_("No difference"), ""))
                continue
            label = _("Count gain") if v > 0 else _("Count loss")
            out.append((label, fmt_qty(abs(v)) + (" " + ln.item.uom if ln.item_id else "")))
            continue
        text = _("pending (costed at period close)") if v is None else f"{from_fen(v):,.2f}"
        out.append((str(RESULT_LABELS[k]), text))
    return out


def document_detail(request, pk):
    doc = get_object_or_404(Document.objects.select_related("supplier", "customer", "warehouse", "account", "ref_document",
                                                             "created_by"), pk=pk)
    if not policy.can_see_document(request.user, doc):
        raise DocError("not_allowed", _("This document is outside your data scope."))
    show_price, show_cost, show_books = (policy.sees_price(request.user), policy.sees_cost(request.user),
                                         policy.can_read_books(request.user))
    try:
        pretty = json.dumps(json.loads(doc.canonical), ensure_ascii=False, indent=2)
    except ValueError:
        pretty = doc.canonical
    lines = list(doc.lines.select_related("item", "warehouse", "to_warehouse", "account", "ref_document").order_by("line_no"))
    for ln in lines:
        ln.results = _result_text(doc, ln)
        ln.show_base = ln.item_id and ln.uom and ln.uom != ln.item.uom
        ln.gross = (ln.amount or 0) + (ln.tax or 0) if ln.tax is not None else None
    moves = list(doc.moves.select_related("item", "warehouse").order_by("line", "sub"))
    for m in moves:
        m.code_name = CODE_NAMES.get(m.code, m.code)
    # the re-costing vouchers it caused in other documents' books are listed apart
    vouchers = vouchers_of(doc.pk).select_related("document")
    caused = caused_by(doc.pk)
    referenced = []
    seen = set()
    for d in ([doc.ref_document] if doc.ref_document else []) + [ln.ref_document for ln in lines if ln.ref_document]:
        if d.pk not in seen:
            seen.add(d.pk)
            referenced.append(d)
    referencing = list(Document.objects.filter(Q(ref_document=doc) | Q(lines__ref_document=doc)).exclude(pk=doc.pk)
                       .distinct().order_by("date", "id"))
    for d in referenced + referencing:
        d.type_label = type_label(d.type)
    cols = _detail_cols(doc, lines)
    if not show_price:
        cols -= {"price", "amount", "tax", "unit_cost"}
        pretty = None  # the document as entered carries its prices
    if not show_cost:
        cols -= {"result"}
    if not show_books:
        vouchers = caused = []
    return render(request, "web/document.html", {
        "panels": panels_for(doc, request.user),
        "doc": doc, "type_name": type_label(doc.type), "pretty": pretty, "vouchers": vouchers, "caused": caused, "lines": lines,
        "moves": moves, "referenced": referenced, "referencing": referencing, "cols": cols,
        "party": doc.supplier or doc.customer, "can_copy": doc.type in DOC_TYPES and policy.can_post(request.user, doc.type),
        "followups": [f for f in _followups(doc) if policy.can_post(request.user, f[1])],
        "show_price": show_price, "show_cost": show_cost, "show_books": show_books,
        "unallocated": (doc.amount - sum(ln.amount or 0 for ln in lines)) if doc.type == "advance_application" and doc.amount else 0,
        "can_void": doc.status == Document.POSTED and policy.can_post(request.user, doc.type),
    })


def document_void(request, pk):
    """作废 (POST, with a reason): asks for the approval; the final approval voids by reversal."""
    from stockbook.approvals.actions import request_void

    doc = get_object_or_404(Document, pk=pk)
    if request.method == "POST":
        try:
            req = request_void(doc, request.user, request.POST.get("reason", ""))
        except DocError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Voiding was submitted for approval (request %(n)s).") % {"n": req.pk})
    return redirect("web:document_detail", pk=pk)


def _detail_cols(doc, lines) -> set:
    c = set()
    for ln in lines:
        if ln.item_id:
            c.add("item")
        if ln.qty is not None:
            c.add("qty")
        if ln.unit_price:
            c.add("price")
        if ln.amount is not None:
            c.add("amount")
        if ln.tax is not None:
            c.add("tax")
        if ln.to_warehouse_id:
            c.add("to")
        if ln.ref_document_id:
            c.add("ref")
        if ln.results:
            c.add("result")
        if ln.unit_cost:
            c.add("unit_cost")
        if ln.account_id:
            c.add("account")
    return c


def _followups(doc):
    """Documents one can enter from this one: invoice or return a receipt/delivery, settle a count."""
    out = []
    if doc.status != Document.POSTED:
        return out
    if doc.type == "purchase_receipt":
        out += [("purchase_invoice", f"supplier={doc.supplier.code}&receipt={doc.ref}"), ("purchase_return", f"receipt={doc.ref}")]
    elif doc.type == "sales_delivery":
        out += [("sales_invoice", f"customer={doc.customer.code}&delivery={doc.ref}"), ("sales_return", f"delivery={doc.ref}")]
    elif doc.type == "stock_count" and not Document.objects.filter(type="count_settlement", ref_document=doc).exists():
        out += [("count_settlement", f"count={doc.ref}")]
    elif doc.type in ("customer_receipt", "supplier_payment") and doc.prepayment:
        kind = "customer" if doc.type == "customer_receipt" else "supplier"
        out += [("advance_application", f"side={kind}&{kind}={getattr(doc, kind).code}")]
    elif doc.type == "sales_invoice":
        out += [("customer_receipt", f"customer={doc.customer.code}&invoice={doc.ref}"),
                ("sales_red_invoice", f"customer={doc.customer.code}&invoice={doc.ref}")]
    elif doc.type == "purchase_invoice":
        out += [("supplier_payment", f"supplier={doc.supplier.code}&invoice={doc.ref}"),
                ("purchase_red_invoice", f"supplier={doc.supplier.code}&invoice={doc.ref}")]
    if doc.type in ("sales_invoice", "purchase_invoice"):  # the party paid in advance: apply it to this invoice
        kind = "customer" if doc.type == "sales_invoice" else "supplier"
        if open_prepayments().get(kind, {}).get(getattr(doc, kind).code, 0) > 0:
            out += [("advance_application", f"side={kind}&{kind}={getattr(doc, kind).code}&invoice={doc.ref}")]
    return [(DOC_TYPES[t].label, t, q) for t, q in out]

