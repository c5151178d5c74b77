"""Writing vouchers: the only code that creates Voucher, VoucherLine and PeriodBalance rows.

Called inside the posting transaction. Numbers are taken from VoucherSequence under a row lock, so a
rolled-back document gives its number back and numbering stays gapless per month.
"""
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from stockbook.posting.fields import period_of

from .models import Voucher, VoucherLine, VoucherSequence


@dataclass
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


def next_number(word: str, period: int) -> int:
    """Take the next number of (word, month) in one statement; the upsert locks the row until commit."""
    table = VoucherSequence._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (word, period, last) VALUES (%s, %s, 1) "
            f"ON CONFLICT (word, period) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [word, period],
        )
        return cur.fetchone()[0]


_LINE_COLUMNS = ("voucher_id", "line_no", "account_id", "debit", "credit", "summary", "date", "period", "customer_id",
                 "supplier_id", "item_id", "warehouse_id", "department_id", "document_id", "doc_line")
_DIMS = ("customer_id", "supplier_id", "item_id", "warehouse_id", "department_id")


def write_voucher(*, when: date, lines: list[VLine], document=None, kind=Voucher.NORMAL, memo="", word="记", user=None) -> Voucher:
    debit = sum(ln.debit for ln in lines)
    credit = sum(ln.credit for ln in lines)
    if debit != credit:
        raise Unbalanced(f"voucher does not balance: {debit} != {credit}")
    period = period_of(when)
    # plain SQL: vouchers and their lines are the bulk of every posting (see docs/benchmarks.md)
    v = Voucher(word=word, period=period, number=next_number(word, period), date=when, kind=kind, memo=memo[:500],
                document=document, debit_total=debit, credit_total=credit, created_by=user if getattr(user, "pk", None) else None,
                created_at=timezone.now())
    ops = connection.ops
    day = ops.adapt_datefield_value(when)
    cols = ("word", "period", "number", "date", "kind", "memo", "document_id", "debit_total", "credit_total", "created_by_id", "created_at")
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {Voucher._meta.db_table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) RETURNING id",
            [v.word, v.period, v.number, day, v.kind, v.memo, v.document_id, debit, credit, v.created_by_id,
             ops.adapt_datetimefield_value(v.created_at)],
        )
        v.pk = cur.fetchone()[0]
    v._state.adding = False
    own = document.pk if document else None
    rows = [
        (v.pk, i, ln.account_id, ln.debit, ln.credit, (ln.summary or memo)[:500], day, period,
         *(ln.dims.get(k) for k in _DIMS), ln.source or own, ln.doc_line)
        for i, ln in enumerate(lines, 1)
    ]
    with connection.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {VoucherLine._meta.db_table} ({', '.join(_LINE_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_LINE_COLUMNS))})",
            rows,
        )
    add_turnover(period, lines)
    return v


def add_turnover(period: int, lines: list[VLine]):
    """Add the lines' debit/credit to the month's PeriodBalance rows (one upsert per account)."""
    per_account: dict[int, list[int]] = {}
    for ln in lines:
        t = per_account.setdefault(ln.account_id, [0, 0])
        t[0] += ln.debit
        t[1] += ln.credit
    table = "ledger_periodbalance"
    sql = (
        f"INSERT INTO {table} (account_id, period, debit, credit) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (account_id, period) DO UPDATE SET debit = {table}.debit + excluded.debit, "
        f"credit = {table}.credit + excluded.credit"
    )
    per_party: dict[tuple, list[int]] = {}
    for ln in lines:
        for kind, key in (("c", "customer_id"), ("s", "supplier_id")):
            if ln.dims.get(key):
                t = per_party.setdefault((ln.account_id, kind, ln.dims[key]), [0, 0])
                t[0] += ln.debit
                t[1] += ln.credit
    ptable = "ledger_partybalance"
    psql = (
        f"INSERT INTO {ptable} (account_id, party_kind, party_id, debit, credit) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (account_id, party_kind, party_id) DO UPDATE SET debit = {ptable}.debit + excluded.debit, "
        f"credit = {ptable}.credit + excluded.credit"
    )
    with connection.cursor() as cur:
        cur.executemany(sql, [(acc, period, d, c) for acc, (d, c) in sorted(per_account.items())])
        if per_party:
            cur.executemany(psql, [(*k, d, c) for k, (d, c) in sorted(per_party.items())])
