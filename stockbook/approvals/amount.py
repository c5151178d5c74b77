"""The amount (分) a workflow's range is compared with: the header ``amount`` of receipts and payments;
the debit total of a journal; else Σ lines — qty × unit_price rounded half-up to 分, plus the tax when
the line has a tax rate (an invoice line without one uses its item's, as posting does), or a line's own
``amount`` (opening stock). ``None`` when the document carries no money (a transfer, a count)."""
from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, parse_price, parse_qty, parse_rate, round2, to_fen

INVOICE_TYPES = {"purchase_invoice", "sales_invoice"}
RED_TYPES = {"purchase_red_invoice": "purchase_invoice", "sales_red_invoice": "sales_invoice"}


def _red_amount(obj: dict) -> int | None:
    """A red invoice (docs/contract-extensions.md): the gross it reverses, computed as posting does — per line
    q base units (its ``uom`` converted with the blue line's item) of the blue line's Q: net round(N × q / Q),
    tax round(T × q / Q), the part completing the blue line what is left after the earlier red parts (posted
    ones and this document's earlier lines). None when a line cannot be read (posting gives the error)."""
    from django.db.models import Sum

    from stockbook.posting.handlers.units import base_qty
    from stockbook.posting.models import Document, DocumentLine
    from stockbook.stock.engine.arith import part

    class _Units:  # the one thing base_qty asks of the books
        @staticmethod
        def item_units(item):
            return {u.name: u.factor for u in item.units.all()}

    total = 0
    here: dict[tuple, list[int]] = {}  # (blue doc, line) → [qty, net, tax] of this document's earlier lines
    for ln in obj.get("lines") or []:
        if not isinstance(ln, dict) or not isinstance(ln.get("invoice"), str):
            return None
        n = ln.get("line")
        if isinstance(n, bool) or not isinstance(n, int):
            return None
        blue = (DocumentLine.objects.filter(document__type=RED_TYPES[obj["type"]], document__ref=ln["invoice"],
                                            document__status=Document.POSTED, line_no=n).select_related("item").first())
        if blue is None or not blue.qty_base or blue.item is None:
            return None
        qbase = base_qty(_Units, blue.item, ln, parse_qty(ln.get("qty")))[1]
        key = (blue.document_id, n)
        prev = DocumentLine.objects.filter(ref_document_id=blue.document_id, ref_line=n, document__type__in=RED_TYPES,
                                           document__status=Document.POSTED).aggregate(q=Sum("qty_base"), a=Sum("amount"), t=Sum("tax"))
        h = here.get(key, [0, 0, 0])
        used, net_used, tax_used = int(prev["q"] or 0) + h[0], int(prev["a"] or 0) + h[1], int(prev["t"] or 0) + h[2]
        if used + qbase > blue.qty_base:
            return None  # red_exceeds_original: posting refuses it
        if used + qbase == blue.qty_base:
            net, tax = blue.amount - net_used, (blue.tax or 0) - tax_used
        else:
            net, tax = part(blue.amount, qbase, blue.qty_base), part(blue.tax or 0, qbase, blue.qty_base)
        here[key] = [h[0] + qbase, h[1] + net, h[2] + tax]
        total += net + tax
    return total


def document_amount(obj: dict) -> int | None:
    try:
        return _amount(obj)
    except DocError:  # not a well-formed document: the posting checks give the right error
        return None


def _amount(obj: dict) -> int | None:
    if not isinstance(obj, dict):
        return None
    if obj.get("amount") is not None:
        return to_fen(parse_money(obj["amount"], "amount", allow_zero=True))
    if obj.get("type") in RED_TYPES:
        return _red_amount(obj)
    lines = obj.get("lines")
    if not isinstance(lines, list):
        return None
    total, seen = 0, False
    for ln in lines:
        if not isinstance(ln, dict):
            continue
        if ln.get("debit") is not None:
            total += to_fen(parse_money(ln["debit"], "debit", allow_zero=True))
            seen = True
        elif ln.get("qty") is not None and ln.get("unit_price") is not None:
            net = round2(parse_qty(ln["qty"], allow_zero=True) * parse_price(ln["unit_price"], allow_zero=True))
            total += to_fen(net)
            rate = _rate(obj, ln)
            if rate is not None:
                total += to_fen(round2(net * rate))
            seen = True
        elif ln.get("amount") is not None:
            total += to_fen(parse_money(ln["amount"], "amount", allow_zero=True, allow_negative=True))
            seen = True
    return total if seen else None


def _rate(obj, ln):
    if ln.get("tax_rate") is not None:
        return parse_rate(ln["tax_rate"])
    if obj.get("type") not in INVOICE_TYPES:
        return None
    from stockbook.posting.models import DocumentLine

    ref_type, key = ("purchase_receipt", "receipt") if obj["type"] == "purchase_invoice" else ("sales_delivery", "delivery")
    ref, n = ln.get(key), ln.get("line")
    if not isinstance(ref, str) or isinstance(n, bool) or not isinstance(n, int):
        return None
    row = (DocumentLine.objects.filter(document__type=ref_type, document__ref=ref, line_no=n)
           .select_related("item").first())
    return row.item.tax_rate if row is not None and row.item is not None else None
