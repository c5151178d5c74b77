"""Writing vouchers: the only code that creates Voucher, VoucherLine and PeriodBalance rows.

Called inside the posting transaction. Numbers are taken from VoucherSequence under a row lock, so a
rolled-back document gives its number back and numbering stays gapless per month.
"""
from dataclasses import dataclass, field
from datetime import date

from django.db import connection

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
    seq, _ = VoucherSequence.objects.select_for_update().get_or_create(word=word, period=period)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


def write_voucher(*, when: date, lines: list[VLine], document=None, kind=Voucher.NORMAL, memo="", word="记", user=None) -> Voucher:
    debit = sum(ln.debit for ln in lines)
    credit = sum(ln.credit for ln in lines)
    if debit != credit:
        raise Unbalanced(f"voucher does not balance: {debit} != {credit}")
    period = period_of(when)
    v = Voucher.objects.create(
        word=word, period=period, number=next_number(word, period), date=when, kind=kind, memo=memo[:500],
        document=document, debit_total=debit, credit_total=credit, created_by=user,
    )
    VoucherLine.objects.bulk_create(
        [
            VoucherLine(
                voucher=v, line_no=i, account_id=ln.account_id, debit=ln.debit, credit=ln.credit,
                summary=(ln.summary or memo)[:500], date=when, period=period,
                document_id=ln.source or (document.pk if document else None), doc_line=ln.doc_line, **ln.dims,
            )
            for i, ln in enumerate(lines, 1)
        ]
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
    with connection.cursor() as cur:
        cur.executemany(sql, [(acc, period, d, c) for acc, (d, c) in sorted(per_account.items())])
