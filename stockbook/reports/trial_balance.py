"""发生额及余额表 (trial balance), contract section 5.

Balances come from ``PeriodBalance`` (turnover per account and month) for whole months and from voucher
lines only for the partial months at the edges of the range, so the cost does not grow with history.
A parent account sums its own lines and its sub-accounts'.
"""
from datetime import date, timedelta

from django.db.models import Sum

from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account, PeriodBalance, VoucherLine
from stockbook.posting.fields import period_of

from .base import Column, Report


def _month_end(p: int) -> date:
    y, m = divmod(p, 100)
    first_next = date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    return first_next - timedelta(days=1)


def _next(p: int) -> int:
    y, m = divmod(p, 100)
    return (y + 1) * 100 + 1 if m == 12 else p + 1


def _add(acc: dict, rows, dk="d", ck="c"):
    for r in rows:
        t = acc.setdefault(r["account_id"], [0, 0])
        t[0] += r[dk] or 0
        t[1] += r[ck] or 0


def turnover(start: date | None, end: date, dims: dict | None = None) -> dict[int, list[int]]:
    """{account_id: [debit 分, credit 分]} of own lines dated start..end (start None = from the beginning).
    With dimension filters (customer_id=…, item_id=…) voucher lines are summed directly."""
    out: dict[int, list[int]] = {}
    if dims:
        q = VoucherLine.objects.filter(date__lte=end, **dims)
        if start:
            q = q.filter(date__gte=start)
        _add(out, q.values("account_id").annotate(d=Sum("debit"), c=Sum("credit")))
        return out
    pe = period_of(end)
    ps = period_of(start) if start else None
    whole_lo = None if start is None else (ps if start.day == 1 else _next(ps))
    whole_hi = pe if end == _month_end(pe) else _prev(pe)
    partial = []
    if start is not None and start.day != 1:
        partial.append((start, min(end, _month_end(ps))))
    if end != _month_end(pe) and not (ps == pe and start.day != 1):
        partial.append((date(end.year, end.month, 1), end))
    if whole_lo is None or whole_lo <= whole_hi:
        pb = PeriodBalance.objects.filter(period__lte=whole_hi)
        if whole_lo is not None:
            pb = pb.filter(period__gte=whole_lo)
        _add(out, pb.values("account_id").annotate(d=Sum("debit"), c=Sum("credit")))
    for a, b in partial:
        q = VoucherLine.objects.filter(date__gte=a, date__lte=b)
        _add(out, q.values("account_id").annotate(d=Sum("debit"), c=Sum("credit")))
    return out


def _prev(p: int) -> int:
    y, m = divmod(p, 100)
    return (y - 1) * 100 + 12 if m == 1 else p - 1


def trial_balance(start: date, end: date, dims: dict | None = None, level: int | None = None) -> Report:
    accounts = {a.pk: a for a in Account.objects.all()}
    opening_own = turnover(None, start - timedelta(days=1), dims)
    range_own = turnover(start, end, dims)

    def roll_up(own):
        total: dict[int, list[int]] = {}
        for acc_id, (d, c) in own.items():
            a = accounts[acc_id]
            while a is not None:
                t = total.setdefault(a.pk, [0, 0])
                t[0] += d
                t[1] += c
                a = accounts.get(a.parent_id) if a.parent_id else None
        return total

    op, rg = roll_up(opening_own), roll_up(range_own)
    rows, table = [], []
    totals = [0, 0, 0, 0, 0, 0]  # opening debit/credit, turnover debit/credit, closing debit/credit (分)
    for a in sorted(accounts.values(), key=lambda a: a.code):
        o = (op.get(a.pk) or [0, 0])
        opening = o[0] - o[1]
        d, c = rg.get(a.pk) or [0, 0]
        if opening == 0 and d == 0 and c == 0:
            continue
        if level and a.level > level:
            continue
        closing = opening + d - c
        rows.append({"account": a.code, "name": a.name, "opening": fmt_money(opening), "debit": fmt_money(d),
                     "credit": fmt_money(c), "closing": fmt_money(closing)})
        table.append({
            "account": a.code, "name": a.name, "level": a.level,
            "opening_debit": fmt_money(opening) if opening > 0 else "", "opening_credit": fmt_money(-opening) if opening < 0 else "",
            "debit": fmt_money(d), "credit": fmt_money(c),
            "closing_debit": fmt_money(closing) if closing > 0 else "", "closing_credit": fmt_money(-closing) if closing < 0 else "",
        })
        if a.level == 1:
            totals[0] += max(opening, 0)
            totals[1] += max(-opening, 0)
            totals[2] += d
            totals[3] += c
            totals[4] += max(closing, 0)
            totals[5] += max(-closing, 0)
    data = {"report": "trial-balance", "from": start.isoformat(), "to": end.isoformat(), "rows": rows}
    tot = {
        "account": "合计", "name": "",
        "opening_debit": fmt_money(totals[0]), "opening_credit": fmt_money(totals[1]),
        "debit": fmt_money(totals[2]), "credit": fmt_money(totals[3]),
        "closing_debit": fmt_money(totals[4]), "closing_credit": fmt_money(totals[5]),
    }
    cols = [
        Column("account", "科目编码"), Column("name", "科目名称"),
        Column("opening_debit", "期初借方", "money"), Column("opening_credit", "期初贷方", "money"),
        Column("debit", "本期借方", "money"), Column("credit", "本期贷方", "money"),
        Column("closing_debit", "期末借方", "money"), Column("closing_credit", "期末贷方", "money"),
    ]
    return Report("trial-balance", "发生额及余额表", data, cols, table, subtitle=f"{start.isoformat()} 至 {end.isoformat()}", totals=tot)

