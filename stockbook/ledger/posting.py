"""Writing vouchers: the only code that creates Voucher, VoucherLine and PeriodBalance rows.

Called inside the posting transaction. Numbers are taken from VoucherSequence under a row lock, so a
rolled-back document gives its number back and numbering stays gapless per month.

The month's sequence row and the accounts' balance rows are shared by every document of the month: whoever
updates them holds their row locks until commit (PostgreSQL), and every concurrent poster queues behind.
Inside ``deferred()`` (the posting of one document) ``write_voucher`` therefore inserts the voucher with the
provisional number 0 (the unique index covers numbers > 0 only) and keeps its turnover; leaving the block
adds the turnover and takes the numbers (PostgreSQL: in one statement, after the deferred foreign-key
checks), so those rows are locked last and held only for the commit that follows.
"""
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from stockbook.core.sql import insert_rows, update_rows, values
from stockbook.posting.fields import period_of

from .models import Voucher, VoucherLine, VoucherSequence


@dataclass(slots=True)
class VLine:
    account_id: int
    debit: int = 0  # 分
    credit: int = 0  # 分
    summary: str = ""
    doc_line: int | None = None
    dims: dict = field(default_factory=dict)  # customer_id, supplier_id, item_id, warehouse_id, department_id
    source: int | None = None  # the document this line comes from, if not the voucher's own document


class Unbalanced(AssertionError):
    pass


def next_number(word: str, period: int, count: int = 1) -> int:
    """Take the next ``count`` numbers of (word, month) in one statement and return the last of them; the
    upsert locks the row until commit."""
    table = VoucherSequence._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (word, period, last) VALUES (%s, %s, %s) "
            f"ON CONFLICT (word, period) DO UPDATE SET last = {table}.last + excluded.last RETURNING last",
            [word, period, count],
        )
        return cur.fetchone()[0]


_VOUCHER_COLUMNS = ("word", "period", "number", "date", "kind", "memo", "document_id", "debit_total", "credit_total",
                   "created_by_id", "created_at")
_LINE_COLUMNS = ("voucher_id", "line_no", "account_id", "debit", "credit", "summary", "date", "period", "customer_id",
                 "supplier_id", "item_id", "warehouse_id", "department_id", "document_id", "doc_line", "recost")


def _check_balance(lines: list[VLine]) -> int:
    debit = sum(ln.debit for ln in lines)
    credit = sum(ln.credit for ln in lines)
    if debit != credit:
        raise Unbalanced(f"voucher does not balance: {debit} != {credit}")
    return debit


class _Pending:
    """What ``deferred()`` has put off: vouchers waiting for their numbers, and their turnover."""

    def __init__(self):
        self.vouchers: list[Voucher] = []
        self.turnover: dict[int, list[VLine]] = {}

    def flush(self):
        groups: dict[tuple[str, int], list[Voucher]] = {}
        for v in self.vouchers:
            groups.setdefault((v.word, v.period), []).append(v)
        if connection.vendor == "postgresql" and len(groups) == 1:
            # Django's foreign keys are checked at COMMIT (deferred): run those checks now, before the shared
            # rows are locked, so that the commit holding those locks is short
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            (word, period), vs = next(iter(groups.items()))
            _flush_pg(word, period, vs, *_turnover_rows(self.turnover))
        else:
            for period, lines in sorted(self.turnover.items()):
                add_turnover(period, lines)
            for (word, period), vs in sorted(groups.items()):
                _number(word, period, vs)
        self.vouchers, self.turnover = [], {}


_local = threading.local()


@contextmanager
def deferred():
    """Put off numbering and balance updates of the vouchers written inside the block to its end (see the
    module's text). Nested blocks flush their own vouchers; an exception discards them (the transaction
    rolls back)."""
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    pending = _Pending()
    stack.append(pending)
    try:
        yield pending
    finally:
        stack.pop()
    pending.flush()


def _pending() -> _Pending | None:
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def _number(word: str, period: int, vouchers: list):
    """Give the vouchers (inserted with number 0) the next numbers of (word, month), in their order."""
    n = len(vouchers)
    last = next_number(word, period, n)
    rows = [(v.pk, last - n + 1 + i) for i, v in enumerate(vouchers)]
    with connection.cursor() as cur:
        update_rows(cur, Voucher._meta.db_table, ("id",), "number", rows, pg_type="integer")
    for v, (_, number) in zip(vouchers, rows):
        v.number = number


def _flush_pg(word: str, period: int, vouchers: list[Voucher], pb: list[tuple], pp: list[tuple]):
    """PostgreSQL: the balance rows, the month's sequence row and the vouchers' numbers in one statement, so
    that the shared rows stay locked for one round trip and the commit. Data-modifying WITH parts always run
    to completion; every poster runs this same shape, so the rows are locked in one order (sequence, then
    balances in key order), as the immediate path does."""
    n = len(vouchers)
    table = Voucher._meta.db_table
    seq = VoucherSequence._meta.db_table
    parts, params = [], []
    for name, head, rows, tail in (("pb", _PB_HEAD, pb, _PB_TAIL), ("pp", _PP_HEAD, pp, _PP_TAIL)):
        if rows:
            sql, p = values(rows)
            parts.append(f"{name} AS ({head} {sql} {tail} RETURNING 1)")
            params += p
    parts.append(f"n AS (INSERT INTO {seq} (word, period, last) VALUES (%s, %s, %s) ON CONFLICT (word, period) "
                 f"DO UPDATE SET last = {seq}.last + excluded.last RETURNING last)")
    params += [word, period, n]
    back, p = values([(v.pk, n - 1 - i) for i, v in enumerate(vouchers)])
    params += p
    with connection.cursor() as cur:
        cur.execute(f"WITH {', '.join(parts)} UPDATE {table} SET number = n.last - x.back FROM n, ({back}) AS x(id, back) "
                    f"WHERE {table}.id = x.id RETURNING {table}.id, {table}.number", params)
        got = dict(cur.fetchall())
    for v in vouchers:
        v.number = got[v.pk]


def write_voucher(*, when: date, lines: list[VLine], document=None, kind=Voucher.NORMAL, memo="", word="记", user=None) -> Voucher:
    debit = credit = _check_balance(lines)
    period = period_of(when)
    pending = _pending()
    # plain SQL: vouchers and their lines are the bulk of every posting (see docs/benchmarks.md)
    v = Voucher(word=word, period=period, number=0 if pending else next_number(word, period), date=when, kind=kind, memo=memo[:500],
                document=document, debit_total=debit, credit_total=credit, created_by=user if getattr(user, "pk", None) else None,
                created_at=timezone.now())
    ops = connection.ops
    day = ops.adapt_datefield_value(when)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {Voucher._meta.db_table} ({', '.join(_VOUCHER_COLUMNS)}) "
            f"VALUES ({', '.join(['%s'] * len(_VOUCHER_COLUMNS))}) RETURNING id",
            [v.word, v.period, v.number, day, v.kind, v.memo, v.document_id, debit, credit, v.created_by_id,
             ops.adapt_datetimefield_value(v.created_at)],
        )
        v.pk = cur.fetchone()[0]
    v._state.adding = False
    _insert_lines(_line_rows(v.pk, day, period, lines, memo, document.pk if document else None, kind == Voucher.RECOST))
    if pending:
        pending.vouchers.append(v)
        pending.turnover.setdefault(period, []).extend(lines)
    else:
        add_turnover(period, lines)
    return v


def _line_rows(voucher_id: int, day, period: int, lines: list[VLine], memo: str, owner: int | None, recost: bool) -> list[tuple]:
    """The VoucherLine rows (in ``_LINE_COLUMNS`` order) of one voucher; ``day`` already adapted; ``recost``: a
    re-costing voucher's (VoucherLine.recost)."""
    memo = memo[:500]
    rows = []
    for i, ln in enumerate(lines, 1):
        dim = ln.dims.get
        rows.append((voucher_id, i, ln.account_id, ln.debit, ln.credit, ln.summary[:500] if ln.summary else memo, day, period,
                     dim("customer_id"), dim("supplier_id"), dim("item_id"), dim("warehouse_id"), dim("department_id"),
                     ln.source or owner, ln.doc_line, recost))
    return rows


def _insert_lines(rows: list[tuple], later: bool = False):
    with connection.cursor() as cur:
        insert_rows(cur, f"INSERT INTO {VoucherLine._meta.db_table} ({', '.join(_LINE_COLUMNS)})", rows, later=later)


@dataclass
class VoucherSpec:
    """One voucher of a batch: its date, lines and owner document id."""
    when: date
    lines: list[VLine]
    document_id: int | None
    memo: str = ""


@dataclass(eq=False)
class VoucherRef:
    """A voucher written by ``write_vouchers`` (no model instance: a batch can hold tens of thousands); its
    ``number`` is 0 until ``deferred()`` numbers it."""
    id: int
    word: str
    period: int
    number: int
    date: date
    kind: str
    document_id: int | None

    @property
    def pk(self):
        return self.id

    @property
    def display_number(self):
        return _display(self.word, self.period, self.number)

    def __str__(self):
        return self.display_number


def reserve_ids(model, n: int) -> list[int]:
    """``n`` primary keys for rows of ``model`` that the caller inserts with them, so that the rows can be
    written behind (core/sql.write_behind) and this thread still knows their ids. SQLite: the table's
    AUTOINCREMENT counter moved on by ``n`` (the transaction holds the write lock: nobody else takes them, and
    a rollback gives them back); PostgreSQL: taken from the column's sequence."""
    if n <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [r[0] for r in cur.fetchall()]
        cur.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq", [n, table])
        row = cur.fetchone()
        if row is None:  # the table never had a row
            cur.execute(f"SELECT COALESCE(MAX(id), 0) + %s FROM {table}", [n])
            row = cur.fetchone()
            cur.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, row[0]])
        return list(range(row[0] - n + 1, row[0] + 1))


def write_vouchers(specs: list[VoucherSpec], *, kind=Voucher.ADJUST, word="记", user=None, turnover: dict | None = None,
                   ids: Iterator[int] | None = None) -> list[VoucherRef]:
    """Many vouchers at once (re-costing corrections): the same rows ``write_voucher`` writes one by one —
    vouchers and lines in multi-row statements, period balances summed per account — written behind if they
    can be (core/sql.write_behind). Inside ``deferred()`` the vouchers are numbered when the block ends, as
    ``write_voucher``'s are (so this thread issues no statement here: each would wait for the writer's);
    outside it, numbers are taken per month in one upsert now. Returns the vouchers in the order of ``specs``.
    ``ids``: primary keys reserved for them (``reserve_ids``; a caller writing many batches reserves once),
    else reserved here. ``turnover``: the period balances are not written but their lines added to it
    ({period: lines}), for a caller writing many batches to write once (``add_turnovers``)."""
    if not specs:
        return []
    for sp in specs:
        _check_balance(sp.lines)
    ops = connection.ops
    created_by = user.pk if getattr(user, "pk", None) else None
    now = ops.adapt_datetimefield_value(timezone.now())
    pending = _pending()
    keys = [next(ids) for _ in specs] if ids is not None else reserve_ids(Voucher, len(specs))
    periods = [period_of(sp.when) for sp in specs]
    numbers = [0] * len(specs)
    if pending is None:
        by_period: dict[int, list[int]] = {}
        for i, period in enumerate(periods):
            by_period.setdefault(period, []).append(i)
        for period, idx in sorted(by_period.items()):
            last = next_number(word, period, len(idx))
            for k, i in enumerate(idx):
                numbers[i] = last - len(idx) + 1 + k
    mine = turnover is None
    turnover = {} if mine else turnover
    rows, line_rows, refs = [], [], []
    recost = kind == Voucher.RECOST
    for sp, pk, period, number in zip(specs, keys, periods, numbers):
        day = ops.adapt_datefield_value(sp.when)
        total = sum(ln.debit for ln in sp.lines)
        rows.append((pk, word, period, number, day, kind, sp.memo[:500], sp.document_id, total, total, created_by, now))
        line_rows += _line_rows(pk, day, period, sp.lines, sp.memo, sp.document_id, recost)
        turnover.setdefault(period, []).extend(sp.lines)
        refs.append(VoucherRef(pk, word, period, number, sp.when, kind, sp.document_id))
    with connection.cursor() as cur:
        insert_rows(cur, f"INSERT INTO {Voucher._meta.db_table} (id, {', '.join(_VOUCHER_COLUMNS)})", rows, later=True)
    _insert_lines(line_rows, later=True)
    if pending is not None:
        pending.vouchers += refs
    if mine:
        add_turnovers(turnover)
    return refs


def _display(word: str, period: int, number: int) -> str:
    return f"{word}-{period // 100:04d}-{period % 100:02d}-{number:04d}"


_PB = "ledger_periodbalance"
_PP = "ledger_partybalance"
_PB_HEAD = f"INSERT INTO {_PB} (account_id, period, debit, credit)"
_PB_TAIL = (f"ON CONFLICT (account_id, period) DO UPDATE SET debit = {_PB}.debit + excluded.debit, "
            f"credit = {_PB}.credit + excluded.credit")
_PP_HEAD = f"INSERT INTO {_PP} (account_id, party_kind, party_id, debit, credit)"
_PP_TAIL = (f"ON CONFLICT (account_id, party_kind, party_id) DO UPDATE SET debit = {_PP}.debit + excluded.debit, "
            f"credit = {_PP}.credit + excluded.credit")


_PARTY_KEYS = (("c", "customer_id"), ("s", "supplier_id"))


def _turnover_rows(turnover: dict[int, list[VLine]]) -> tuple[list[tuple], list[tuple]]:
    """The PeriodBalance rows (account, period, debit, credit) and PartyBalance rows (account, party kind,
    party, debit, credit) that ``turnover`` ({period: lines}) adds, each summed per key and in key order
    (concurrent posters lock them in the same order)."""
    per_account: dict[tuple, list[int]] = {}
    per_party: dict[tuple, list[int]] = {}
    for period, lines in turnover.items():
        for ln in lines:  # a re-costing sums tens of thousands of lines here: each attribute read once
            account, debit, credit, dims = ln.account_id, ln.debit, ln.credit, ln.dims
            t = per_account.get((account, period))
            if t is None:
                per_account[(account, period)] = [debit, credit]
            else:
                t[0] += debit
                t[1] += credit
            if dims:
                for kind, key in _PARTY_KEYS:
                    party = dims.get(key)
                    if party:
                        t = per_party.setdefault((account, kind, party), [0, 0])
                        t[0] += debit
                        t[1] += credit
    return ([(*k, d, c) for k, (d, c) in sorted(per_account.items())],
            [(*k, d, c) for k, (d, c) in sorted(per_party.items())])


def add_turnover(period: int, lines: list[VLine]):
    """Add the lines' debit/credit to the month's PeriodBalance rows (one upsert per account) and to the
    parties' PartyBalance rows."""
    add_turnovers({period: lines})


def add_turnovers(turnover: dict[int, list[VLine]], later: bool = False):
    """``add_turnover`` for the lines of many months ({period: lines}): one upsert per table. ``later``: behind
    a re-costing's writes, if they run (core/sql.write_behind)."""
    pb, pp = _turnover_rows(turnover)
    with connection.cursor() as cur:
        insert_rows(cur, _PB_HEAD, pb, _PB_TAIL, later=later)
        insert_rows(cur, _PP_HEAD, pp, _PP_TAIL, later=later)
