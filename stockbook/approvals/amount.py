"""The amount (分) a workflow's range is compared with: the header ``amount`` of receipts and payments;
the debit total of a journal; else Σ lines — qty × unit_price rounded half-up to 分, plus the tax when
the line has a tax rate (an invoice line without one uses its item's, as posting does), or a line's own
``amount`` (opening stock). ``None`` when the document carries no money (a transfer, a count)."""
from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, parse_price, parse_qty, parse_rate, round2, to_fen

INVOICE_TYPES = {"purchase_invoice", "sales_invoice"}
RED_TYPES = {"purchase_red_invoice": "purchase_invoice", "sales_red_invoice": "sales_invoice"}


def _red_amount(obj: dict) -> int | None:
    """A red invoice (docs/contract-extensions.md): the parts of its blue lines' gross it reverses (qty in the
    blue line's unit); None when a line cannot be read."""
    from stockbook.posting.models import DocumentLine

    total = 0
    for ln in obj.get("lines") or []:
        if not isinstance(ln, dict) or not isinstance(ln.get("invoice"), str) or ln.get("uom") is not None:
            return None
        n = ln.get("line")
        if isinstance(n, bool) or not isinstance(n, int):
            return None
        blue = DocumentLine.objects.filter(document__type=RED_TYPES[obj["type"]], document__ref=ln["invoice"], line_no=n).first()
        if blue is None or not blue.qty:
            return None
        q = parse_qty(ln.get("qty"), allow_zero=True)
        total += to_fen(round2((blue.amount + (blue.tax or 0)) * q * 10000 / blue.qty / 100))
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
