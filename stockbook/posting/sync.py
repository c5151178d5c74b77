"""Keeping each document's vouchers equal to what its rules say, now and after re-costing.

A new document posts one voucher with its entries. When re-costing changes what a posted document
should have posted, ``resync`` posts an adjustment voucher, dated like that document and linked to it:
red-ink (negative) amounts on the side of the lines they correct, and new lines where an amount changes
side — so every account's debit and credit turnover equals posting in date order. Posted vouchers are
never edited.
"""
from collections import defaultdict

from django.db import connection
from django.db.models import Case, Count, F, Q, Sum, When

from stockbook.core.sql import values
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


def sides(a: int, red: bool = False) -> tuple[int, int]:
    """(debit, credit) of a signed amount: positive on its side, or — ``red``, a red invoice (红字发票) — in red
    ink on the side of the blue invoice it reverses (a credit amount as a negative debit and vice versa)."""
    if red:
        return (a, 0) if a < 0 else (0, -a)
    return (a, 0) if a > 0 else (0, -a)


def vouchers_of(doc_id: int):
    """The vouchers of a document, for its page and its REST view alike, by date: its own (not the re-costing
    vouchers it caused: ``caused_by``) and every voucher with a line linked to it — the re-costing vouchers that
    correct its lines, a period close's that costs its monthly-average issues (both parts of the document
    index: ``VoucherLine.recost``)."""
    return (Voucher.objects.filter((Q(document_id=doc_id) & ~Q(kind=Voucher.RECOST)) | Q(lines__recost__in=(False, True), lines__document_id=doc_id))
            .distinct().order_by("date", "id"))


def caused_by(doc_id: int):
    """The re-costing vouchers a (backdated, voided) document caused in other documents' books."""
    return Voucher.objects.filter(document_id=doc_id, kind=Voucher.RECOST).annotate(n_lines=Count("lines")).order_by("id")


def states(owner_id: int, entries: list[Entry], red: bool = False) -> dict:
    """What vouchers posted from ``entries`` say, in the form of ``posted``: {(source, doc line, account):
    [debit, credit, dims]}."""
    out = {}
    for k, (a, dims) in _net(owner_id, entries).items():
        if a:
            out[k] = [*sides(a, red), dims]
    return out


def post_entries(owner, entries: list[Entry], *, when, user=None, memo="", kind=Voucher.NORMAL, red=False) -> Voucher | None:
    items = list(states(owner.id, entries, red).items())
    if not items:
        return None
    return write_voucher(when=when, lines=_vlines(items), document=owner, kind=kind, memo=memo, user=user)


_DIM_KEYS = ("customer_id", "supplier_id", "item_id", "warehouse_id")


def posted(owner_ids) -> dict[int, dict]:
    """What the vouchers of each owner document say now: {owner: {(source, doc line, account): [debit,
    credit, dims]}} — its own vouchers (a close's carry other documents' lines) and the lines of re-costing
    vouchers (``Voucher.RECOST``, owned by the document that caused them) that correct its lines. One
    grouped query per 500 owners."""
    out: dict[int, dict] = {o: defaultdict(lambda: [0, 0, {}]) for o in owner_ids}
    ids = sorted(owner_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        mine = Q(recost=False, voucher__document_id__in=chunk) | Q(recost=True, document_id__in=chunk)
        rows = (VoucherLine.objects.filter(mine)
                .annotate(owner=Case(When(recost=True, then=F("document_id")), default=F("voucher__document_id")))
                .values("owner", "document_id", "doc_line", "account_id", *_DIM_KEYS)
                .annotate(d=Sum("debit"), c=Sum("credit")))
        for r in rows:
            owner = r["owner"]
            h = out[owner][(r["document_id"] or owner, r["doc_line"], r["account_id"])]
            h[0] += r["d"] or 0
            h[1] += r["c"] or 0
            h[2] = {k: r[k] for k in _DIM_KEYS if r[k]}
    return out


def pairs(chunk) -> tuple[str, list]:
    """``(VALUES (%s, %s), …) k`` for joining on (document id, line no) pairs (column1, column2): an index
    search per pair on SQLite and PostgreSQL alike (a row-value ``IN`` makes SQLite scan the index)."""
    sql, params = values(chunk)
    return f"({sql}) k", params


def posted_lines(keys) -> dict[int, dict]:
    """Like ``posted`` but only for some document lines ((document id, line no) pairs) and only what the
    document's own vouchers and re-costing vouchers say about them (not a period close's): one grouped query
    per 400 lines."""
    keys = sorted(keys)
    out: dict[int, dict] = {d: defaultdict(lambda: [0, 0, {}]) for d, _ in keys}
    dims = ", ".join(f"vl.{k}" for k in _DIM_KEYS)
    seen_dims: dict[tuple, dict] = {}  # one dict per distinct dimension set (a replay reads 100,000s of rows)
    for i in range(0, len(keys), 400):
        chunk = keys[i:i + 400]
        keyed, params = pairs(chunk)
        params += [False, True]  # both parts of the document index (VoucherLine.recost)
        sql = (f"SELECT vl.document_id, vl.doc_line, vl.account_id, {dims}, SUM(vl.debit), SUM(vl.credit) "
               f"FROM {keyed} JOIN {VoucherLine._meta.db_table} vl ON vl.recost IN (%s, %s) AND vl.document_id = k.column1 "
               f"AND vl.doc_line = k.column2 JOIN {Voucher._meta.db_table} v ON v.id = vl.voucher_id "
               f"WHERE vl.recost OR v.document_id = vl.document_id "
               f"GROUP BY vl.document_id, vl.doc_line, vl.account_id, {dims}")
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for doc, line, account, *rest in cur.fetchall():
                h = out[doc][(doc, line, account)]
                h[0] += rest[-2] or 0
                h[1] += rest[-1] or 0
                dk = tuple(rest[:-2])
                d = seen_dims.get(dk)
                if d is None:
                    d = seen_dims[dk] = {k: v for k, v in zip(_DIM_KEYS, dk) if v}
                h[2] = d
    return out


def _order(key: tuple) -> tuple:
    """The order of correction lines: by source document, document line (the document's own first), account."""
    return key[0], key[1] or 0, key[2]


def corrections(owner_id: int, entries: list[Entry], have: dict, red: bool = False) -> list[VLine]:
    """The voucher lines that make what ``have`` says equal ``entries``: red ink on the side of the lines
    they correct, new lines where an amount changes side; [] if nothing changes."""
    want = _net(owner_id, entries)
    lines: list[VLine] = []
    for key in sorted(set(want) | set(have), key=_order):
        a, dims = want.get(key, (0, None))
        d_have, c_have, hdims = have[key] if key in have else (0, 0, {})
        _append_difference(lines, key, sides(a, red), (d_have, c_have), dims if dims is not None else hdims)
    return lines


def _append_difference(lines: list[VLine], key: tuple, want: tuple[int, int], have: tuple[int, int], dims: dict):
    """Append the lines that take ``key``'s (debit, credit) from ``have`` to ``want``: a difference on each side
    (red ink where it is negative), so a side that changes gets a line of its own."""
    source, doc_line, account_id = key
    if want[0] != have[0]:
        lines.append(VLine(account_id, want[0] - have[0], 0, "", doc_line, dims, source))
    if want[1] != have[1]:
        lines.append(VLine(account_id, 0, want[1] - have[1], "", doc_line, dims, source))


class LineChanges:
    """A re-costing's corrections of changed lines, for one chart: the lines that make vouchers posted from a
    line's entries with its old result (``old``) say its entries with the new one (``new``), both as
    ``rules.line_amounts`` gives them; in account order, [] if nothing changes. The same as
    ``corrections(owner_id, new entries, states(owner_id, old entries))`` — with no Entry per amount: a
    re-costing corrects tens of thousands of lines (tests/stock/test_line_changes.py). ``resolve``: role or
    account id → account id (``Accounts.resolve``).

    The lines of one rule have few shapes (which roles, in which order). Each shape's accounts are resolved
    once: for each account, in account order, the positions of the amounts it sums in the new and the old
    entries (two roles of a chart may share an account)."""

    def __init__(self, resolve):
        self.resolve = resolve
        self._shapes: dict[tuple, list] = {}

    def _shape(self, key: tuple) -> list:
        accounts: dict[int, tuple[list, list]] = {}
        for roles, at in key:
            for pos, role_or_id in enumerate(roles):
                accounts.setdefault(self.resolve(role_or_id), ([], []))[at].append(pos)
        shape = [(aid, tuple(pn), tuple(po)) for aid, (pn, po) in sorted(accounts.items())]
        self._shapes[key] = shape
        return shape

    def __call__(self, owner_id: int, line_no: int, new: tuple, old: tuple, dims: dict, red: bool = False) -> list[VLine]:
        """``dims``: the line's dimensions."""
        rn, an = zip(*new) if new else ((), ())
        ro, ao = zip(*old) if old else ((), ())
        key = ((rn, 0), (ro, 1))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shape(key)
        lines: list[VLine] = []
        for aid, pn, po in shape:
            a = b = 0
            for p in pn:
                a += an[p]
            for p in po:
                b += ao[p]
            if a != b:
                _append_difference(lines, (owner_id, line_no, aid), sides(a, red), sides(b, red), dims)
        return lines


def resync(owner, entries: list[Entry], *, when, user=None, memo="", have: dict | None = None) -> Voucher | None:
    """Post the corrections that make ``owner``'s vouchers equal ``entries``; None if they already do.
    ``have``: what its vouchers say now (from ``posted``), read here if not given."""
    if have is None:
        have = posted([owner.id])[owner.id]
    lines = corrections(owner.id, entries, have)
    if not lines:
        return None
    return write_voucher(when=when, lines=lines, document=owner, kind=Voucher.ADJUST, memo=memo, user=user)
