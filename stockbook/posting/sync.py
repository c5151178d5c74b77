"""Keeping each document's vouchers equal to what its rules say, now and after re-costing.

A new document posts one voucher with its entries. When re-costing changes what a posted document
should have posted, ``resync`` posts an adjustment voucher, dated like that document and linked to it:
red-ink (negative) amounts on the side of the lines they correct, and new lines where an amount changes
side — so every account's debit and credit turnover equals posting in date order. Posted vouchers are
never edited.
"""
from collections import defaultdict

from django.db.models import Sum

from stockbook.ledger.models import Voucher, VoucherLine
from stockbook.ledger.posting import VLine, write_voucher

from .rules import Entry


def _net(owner_id: int, entries: list[Entry]) -> dict:
    """(source doc, doc line, account) → [signed amount, dims]."""
    out: dict[tuple, list] = {}
    for e in entries:
        key = (e.source or owner_id, e.doc_line, e.account_id)
        cur = out.setdefault(key, [0, e.dims])
        cur[0] += e.amount
    return out


def _vlines(items) -> list[VLine]:
    lines = []
    for (source, doc_line, account_id), (debit, credit, dims) in items:
        lines.append(VLine(account_id=account_id, debit=debit, credit=credit, doc_line=doc_line, dims=dims, source=source))
    return lines


def post_entries(owner, entries: list[Entry], *, when, user=None, memo="", kind=Voucher.NORMAL) -> Voucher | None:
    net = _net(owner.id, entries)
    items = [(k, (a if a > 0 else 0, -a if a < 0 else 0, dims)) for k, (a, dims) in net.items() if a]
    if not items:
        return None
    return write_voucher(when=when, lines=_vlines(items), document=owner, kind=kind, memo=memo, user=user)


def resync(owner, entries: list[Entry], *, when, user=None, memo="") -> Voucher | None:
    """Post the corrections that make ``owner``'s vouchers equal ``entries``; None if they already do."""
    want = _net(owner.id, entries)
    have: dict[tuple, list] = defaultdict(lambda: [0, 0, {}])
    rows = (VoucherLine.objects.filter(voucher__document=owner)
            .values("document_id", "doc_line", "account_id", "customer_id", "supplier_id", "item_id", "warehouse_id")
            .annotate(d=Sum("debit"), c=Sum("credit")))
    for r in rows:
        key = (r["document_id"] or owner.id, r["doc_line"], r["account_id"])
        h = have[key]
        h[0] += r["d"] or 0
        h[1] += r["c"] or 0
        h[2] = {k: r[k] for k in ("customer_id", "supplier_id", "item_id", "warehouse_id") if r[k]}
    items = []
    for key in sorted(set(want) | set(have), key=lambda k: (k[0], k[1] or 0, k[2])):
        a, dims = want.get(key, (0, None))
        d_want, c_want = (a, 0) if a > 0 else (0, -a)
        d_have, c_have, hdims = have[key] if key in have else (0, 0, {})
        dims = dims if dims is not None else hdims
        if d_want != d_have:
            items.append((key, (d_want - d_have, 0, dims)))
        if c_want != c_have:
            items.append((key, (0, c_want - c_have, dims)))
    if not items:
        return None
    return write_voucher(when=when, lines=_vlines(items), document=owner, kind=Voucher.ADJUST, memo=memo, user=user)
