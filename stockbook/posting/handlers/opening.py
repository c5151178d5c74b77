"""Openings (contract section 2): opening balances of accounts, and opening stock per warehouse.

Opening stock sets each item's quantity and value at a warehouse before the first period and posts
nothing to the ledger; a disagreement with the inventory account's opening balance is what reconcile
reports as ``opening_mismatch``.
"""
from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, parse_qty, to_fen, to_qty_units

from ..fields import MISSING, get, req_list, req_obj, req_str
from ..models import DocumentLine
from .units import base_qty


def opening_stock(ctx):
    books = ctx.books
    code = req_str(ctx.obj, "warehouse", "仓库")
    wh = books.warehouse(code)
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {code} 不存在", field="warehouse")
    rows = []
    for n, raw in enumerate(req_list(ctx.obj, "lines", "明细行 lines"), 1):
        try:
            ln = req_obj(raw, "lines")
            icode = req_str(ln, "item", "存货")
            item = books.item(icode)
            if item is None:
                raise DocError("unknown_item", f"存货 {icode} 不存在", field="item")
            qty = parse_qty(get(ln, "qty") if get(ln, "qty") is not MISSING else None, "qty")
            uom, qbase = base_qty(books, item, ln, qty)
            amount = parse_money(get(ln, "amount") if get(ln, "amount") is not MISSING else None, "amount", allow_zero=True)
        except DocError as e:
            e.line = n
            raise
        rows.append(dict(line_no=n, item=item, warehouse=wh, uom=uom, qty=to_qty_units(qty), qty_base=qbase, amount=to_fen(amount)))

    ctx.header["warehouse"] = wh

    def write(doc):
        from .. import effects

        return effects.apply(doc, [DocumentLine(document=doc, **r) for r in rows], books, ctx.user)

    return write
