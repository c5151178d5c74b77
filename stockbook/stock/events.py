"""Documents → costing events. The same function serves a new document and the re-costing replay, so a
document is costed the same way whichever path it takes."""
from calendar import monthrange
from datetime import date
from fractions import Fraction

from . import engine as E

KINDS = {
    "opening_stock": E.OPEN, "purchase_receipt": E.RECEIPT, "purchase_invoice": E.PINV, "purchase_return": E.PRET,
    "sales_delivery": E.DELIV, "sales_invoice": E.SINV, "sales_return": E.SRET, "transfer": E.XFER,
    "stock_count": E.COUNT, "scrap": E.SCRAP,
    "purchase_red_invoice": E.PRED, "sales_red_invoice": E.SRED,  # red invoices: docs/contract-extensions.md
}
STOCK_TYPES = set(KINDS) | {"period_close"}


def month_end(period: int) -> date:
    y, m = divmod(period, 100)
    return date(y, m, monthrange(y, m)[1])


def close_key(doc, period: int) -> tuple:
    """A close sits after every move of its month, whatever its own date."""
    return (month_end(period).isoformat(), "24:00:00", doc.id, 0)


def frac_text(f: Fraction) -> str:
    return f"{f.numerator}/{f.denominator}"


def frac_parse(s: str) -> Fraction | None:
    if not s:
        return None
    n, d = s.split("/")
    return Fraction(int(n), int(d))


def line_event(kind: str, day: str, clock: str, doc_id: int, period: int, line_no: int, wh, to_wh, qty, amount,
               ref_doc, ref_line, unit_cost) -> E.Event:
    """The costing event of one document line (``day``/``clock`` in ISO form: the move order key)."""
    # positional: a replay builds 100,000s (key, kind, doc, line, period, wh, qty, amount, ref, to, unit_cost)
    return E.Event((day, clock, doc_id, line_no), kind, doc_id, line_no, period, wh, qty or 0, amount or 0,
                   f"{ref_doc}:{ref_line}" if ref_doc else None, to_wh, frac_parse(unit_cost) if unit_cost else None)


def events_of(doc, lines) -> dict[int, list[E.Event]]:
    """{item_id: [Event]} for one stock document and its DocumentLine rows (``item_id`` set on each)."""
    kind = KINDS[doc.type]
    period = doc.date.year * 100 + doc.date.month
    day, clock = doc.date.isoformat(), doc.time.isoformat() if doc.time else "00:00:00"
    out: dict[int, list[E.Event]] = {}
    for ln in lines:
        out.setdefault(ln.item_id, []).append(line_event(
            kind, day, clock, doc.id, period, ln.line_no, ln.warehouse_id, ln.to_warehouse_id, ln.qty_base, ln.amount,
            ln.ref_document_id, ln.ref_line, ln.unit_cost))
    return out


def close_event(doc, period: int) -> E.Event:
    return E.Event(key=close_key(doc, period), kind=E.CLOSE, doc=doc.id, line=0, period=period)
