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


def doc_key(doc, line: int) -> tuple:
    t = doc.time.isoformat() if doc.time else "00:00:00"
    return (doc.date.isoformat(), t, doc.id, line)


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


def events_of(doc, lines) -> dict[int, list[E.Event]]:
    """{item_id: [Event]} for one stock document and its DocumentLine rows (``item_id`` set on each)."""
    kind = KINDS[doc.type]
    period = doc.date.year * 100 + doc.date.month
    out: dict[int, list[E.Event]] = {}
    for ln in lines:
        ref = f"{ln.ref_document_id}:{ln.ref_line}" if ln.ref_document_id else None
        qty = ln.qty_base or 0
        ev = E.Event(
            key=doc_key(doc, ln.line_no), kind=kind, doc=doc.id, line=ln.line_no, period=period,
            wh=ln.warehouse_id, qty=qty, amount=ln.amount or 0, ref=ref, to=ln.to_warehouse_id,
            unit_cost=frac_parse(ln.unit_cost),
        )
        out.setdefault(ln.item_id, []).append(ev)
    return out


def close_event(doc, period: int) -> E.Event:
    return E.Event(key=close_key(doc, period), kind=E.CLOSE, doc=doc.id, line=0, period=period)
