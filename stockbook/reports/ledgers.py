"""总账 (general ledger) and 明细账 (detail ledger) of one account and its sub-accounts.

Both follow the three-column layout (借方 / 贷方 / 余额) of Chinese account books. Balances and year-to-date
figures come from ``PeriodBalance`` for whole months; voucher lines are read only for the months at the
edges of the range (a range may start or end mid-month) and, for the detail ledger, for the lines it lists.
With a dimension filter (customer, supplier, item, warehouse) there is no per-dimension balance table, so
the opening and year-to-date figures are one aggregate query over the filtered voucher lines.

Balance direction: as in the 借或贷 column of a paper book, a balance is an amount ≥ 0 with its side 借 or 贷
(平 when zero): a bank account (借 account) shows 借 1000.00, 实收资本 (贷 account) 贷 1500.00, and an
overdrawn bank account 贷 20.00 rather than a negative figure. The report header names the account's own
direction ("direction" in the JSON). Money is a string with two decimals.
"""
from datetime import date, timedelta

from django.db.models import Sum

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account, PeriodBalance, VoucherLine
from stockbook.posting.fields import period_of

from .base import Column, Report

DIMS = [
    # (param key, VoucherLine field, model path, error code, label)
    ("customer", "customer_id", "Customer", "unknown_party", "客户"),
    ("supplier", "supplier_id", "Supplier", "unknown_party", "供应商"),
    ("item", "item_id", "Item", "unknown_item", "存货"),
    ("warehouse", "warehouse_id", "Warehouse", "unknown_warehouse", "仓库"),
]


# --- periods -------------------------------------------------------------------------------------------

def month_first(p: int) -> date:
    return date(p // 100, p % 100, 1)


def month_last(p: int) -> date:
    y, m = divmod(p, 100)
    return date(y + (m == 12), 1 if m == 12 else m + 1, 1) - timedelta(days=1)


def next_period(p: int) -> int:
    y, m = divmod(p, 100)
    return (y + 1) * 100 + 1 if m == 12 else p + 1


def months(ps: int, pe: int) -> list[int]:
    out = []
    while ps <= pe:
        out.append(ps)
        ps = next_period(ps)
    return out


def period_label(p: int) -> str:
    return f"{p // 100:04d}-{p % 100:02d}"


# --- accounts and dimensions ---------------------------------------------------------------------------

def get_account(code) -> Account:
    if not code:
        raise DocError("invalid_value", "请指定会计科目 --account", field="account")
    acc = Account.objects.filter(code=str(code)).first()
    if acc is None:
        raise DocError("unknown_account", f"会计科目 {code} 不存在", field="account")
    return acc


def subtree_ids(acc: Account) -> list[int]:
    """The account and all its sub-accounts (any depth)."""
    children: dict[int, list[int]] = {}
    for pk, parent in Account.objects.values_list("pk", "parent_id"):
        if parent:
            children.setdefault(parent, []).append(pk)
    out, todo = [], [acc.pk]
    while todo:
        pk = todo.pop()
        out.append(pk)
        todo.extend(children.get(pk, ()))
    return sorted(out)


def resolve_dims(params: dict | None) -> tuple[dict, list[str]]:
    """{customer: code, ...} → ({customer_id: pk, ...}, ["客户 C01 客户一", ...]); unknown codes are errors."""
    from stockbook.masterdata import models as md

    flt, labels = {}, []
    for key, fld, model, err, label in DIMS:
        code = (params or {}).get(key)
        if not code:
            continue
        obj = getattr(md, model).objects.filter(code=str(code)).first()
        if obj is None:
            raise DocError(err, f"{label} {code} 不存在", field=key)
        flt[fld] = obj.pk
        labels.append(f"{label} {obj.code} {obj.name}")
    return flt, labels


# --- balances ------------------------------------------------------------------------------------------

def direction_of(acc: Account, net: int) -> tuple[str, int]:
    """(借/贷/平, amount in 分 ≥ 0) of a debit-minus-credit ``net``, as the 借或贷 column of a book shows it."""
    if net == 0:
        return "平", 0
    return ("借", net) if net > 0 else ("贷", -net)


class Turnover:
    """Debit/credit sums of a set of accounts (optionally filtered by dimensions) over date ranges.

    Without dimensions: whole months from ``PeriodBalance``; days of the ``edge`` months (at most two,
    the months of the range's ends) from voucher lines grouped by date, loaded once.
    """

    def __init__(self, ids: list[int], dims: dict, edge_periods: set[int]):
        self.ids, self.dims = ids, dims
        self.daily: dict[date, list[int]] = {}
        self.pb: dict[int, list[int]] = {}
        if not dims:
            q = (VoucherLine.objects.filter(account_id__in=ids, period__in=sorted(edge_periods))
                 .values("date").annotate(d=Sum("debit"), c=Sum("credit")))
            for r in q:
                self.daily[r["date"]] = [r["d"] or 0, r["c"] or 0]

    def load_months(self, lo: int, hi: int):
        """PeriodBalance of months lo..hi, by month."""
        if self.dims:
            return
        q = (PeriodBalance.objects.filter(account_id__in=self.ids, period__gte=lo, period__lte=hi)
             .values("period").annotate(d=Sum("debit"), c=Sum("credit")))
        for r in q:
            self.pb[r["period"]] = [r["d"] or 0, r["c"] or 0]

    def before(self, p: int) -> list[int]:
        """Everything in months before ``p``."""
        if self.dims:
            return self._lines(None, month_first(p) - timedelta(days=1))
        r = (PeriodBalance.objects.filter(account_id__in=self.ids, period__lt=p)
             .aggregate(d=Sum("debit"), c=Sum("credit")))
        return [r["d"] or 0, r["c"] or 0]

    def month(self, p: int) -> list[int]:
        if self.dims:
            return self.range(month_first(p), month_last(p))
        return list(self.pb.get(p, [0, 0]))

    def range(self, a: date, b: date) -> list[int]:
        """Sum over a..b, both in the same month."""
        if a > b:
            return [0, 0]
        p = period_of(a)
        assert period_of(b) == p
        if self.dims:
            return self._lines(a, b)
        if a == month_first(p) and b == month_last(p):
            return self.month(p)
        d = c = 0
        for day, (x, y) in self.daily.items():
            if a <= day <= b:
                d += x
                c += y
        return [d, c]

    def _lines(self, a: date | None, b: date) -> list[int]:
        q = VoucherLine.objects.filter(account_id__in=self.ids, date__lte=b, **self.dims)
        if a is not None:
            q = q.filter(date__gte=a)
        r = q.aggregate(d=Sum("debit"), c=Sum("credit"))
        return [r["d"] or 0, r["c"] or 0]


def _check_range(start, end):
    if not start or not end:
        raise DocError("invalid_value", "账簿需要 --from 与 --to 日期")
    if start > end:
        raise DocError("invalid_value", "开始日期不能晚于结束日期")


def _frame(acc, ids, start, end, dims):
    """Shared figures: turnover source, opening net at ``start`` and per month (window, turnover, ytd)."""
    ps, pe = period_of(start), period_of(end)
    t = Turnover(ids, dims, {ps, pe})
    year_first = (ps // 100) * 100 + 1
    t.load_months(year_first, pe)
    before = t.before(ps)
    head = t.range(month_first(ps), start - timedelta(days=1))
    opening = before[0] + head[0] - (before[1] + head[1])
    out = []
    ytd_base = [0, 0]  # whole months of the current year before the month at hand
    year = None
    for p in months(year_first, pe):
        if p // 100 != year:
            year, ytd_base = p // 100, [0, 0]
        a, b = max(start, month_first(p)), min(end, month_last(p))
        if p >= ps:
            turn = t.range(a, b)
            upto = t.range(month_first(p), b)
            out.append((p, a, b, turn, [ytd_base[0] + upto[0], ytd_base[1] + upto[1]]))
        m = t.month(p)
        ytd_base = [ytd_base[0] + m[0], ytd_base[1] + m[1]]
    return opening, out


def _money_dir(acc, net):
    dr, amt = direction_of(acc, net)
    return dr, fmt_money(amt)


# --- 总账 ----------------------------------------------------------------------------------------------

def general_ledger(account_code, start: date, end: date) -> Report:
    """Per month: opening balance, the month's debit/credit (within start..end), year-to-date debit/credit
    (from January 1 of that year to the month's end or ``end``), closing balance."""
    _check_range(start, end)
    acc = get_account(account_code)
    ids = subtree_ids(acc)
    opening, frame = _frame(acc, ids, start, end, {})
    rows, table = [], []
    od, oa = _money_dir(acc, opening)
    table.append({"date": start.isoformat(), "period": period_label(period_of(start)), "summary": "期初余额",
                  "debit": "", "credit": "", "direction": od, "balance": oa, "kind": "opening"})
    bal = opening
    for p, a, b, (d, c), (yd, yc) in frame:
        op = bal
        bal = op + d - c
        odr, oamt = _money_dir(acc, op)
        cdr, camt = _money_dir(acc, bal)
        rows.append({
            "period": period_label(p), "from": a.isoformat(), "to": b.isoformat(),
            "opening": oamt, "opening_direction": odr,
            "debit": fmt_money(d), "credit": fmt_money(c),
            "ytd_debit": fmt_money(yd), "ytd_credit": fmt_money(yc),
            "closing": camt, "direction": cdr,
        })
        table.append({"date": b.isoformat(), "period": period_label(p), "summary": "本月合计", "debit": fmt_money(d),
                      "credit": fmt_money(c), "direction": cdr, "balance": camt, "kind": "month"})
        table.append({"date": b.isoformat(), "period": period_label(p), "summary": "本年累计", "debit": fmt_money(yd),
                      "credit": fmt_money(yc), "direction": cdr, "balance": camt, "kind": "year"})
    data = {"report": "general-ledger", "account": acc.code, "name": acc.name, "direction": "借" if acc.direction == "D" else "贷",
            "from": start.isoformat(), "to": end.isoformat(), "rows": rows}
    cols = [
        Column("period", "期间"), Column("date", "日期"), Column("summary", "摘要"),
        Column("debit", "借方", "money"), Column("credit", "贷方", "money"),
        Column("direction", "方向"), Column("balance", "余额", "money"),
    ]
    return Report("general-ledger", "总账", data, cols, table,
                  subtitle=f"科目：{acc.code} {acc.name}　{start.isoformat()} 至 {end.isoformat()}")


# --- 明细账 ---------------------------------------------------------------------------------------------

def detail_ledger(account_code, start: date, end: date, dims: dict | None = None) -> Report:
    """Opening balance, then every voucher line of the account and its sub-accounts dated start..end in
    (date, voucher) order with the running balance, and after each month with lines 本月合计 / 本年累计."""
    _check_range(start, end)
    acc = get_account(account_code)
    flt, dim_labels = resolve_dims(dims)
    ids = subtree_ids(acc)
    opening, frame = _frame(acc, ids, start, end, flt)
    codes = dict(Account.objects.filter(pk__in=ids).values_list("pk", "code"))
    names = dict(Account.objects.filter(pk__in=ids).values_list("pk", "name"))
    lines = (VoucherLine.objects.filter(account_id__in=ids, date__gte=start, date__lte=end, **flt)
             .select_related("voucher")
             .order_by("date", "voucher__word", "voucher__number", "voucher_id", "line_no"))
    by_period: dict[int, list] = {}
    for ln in lines:
        by_period.setdefault(ln.period, []).append(ln)

    rows = []
    odr, oamt = _money_dir(acc, opening)
    rows.append({"kind": "opening", "date": start.isoformat(), "voucher": "", "voucher_id": None, "account": "",
                 "summary": "期初余额", "debit": "0.00", "credit": "0.00", "direction": odr, "balance": oamt})
    bal = opening
    for p, a, b, (d, c), (yd, yc) in frame:
        month_lines = by_period.get(p, [])
        if not month_lines:
            bal += d - c  # nothing listed: d and c are 0 as well
            continue
        for ln in month_lines:
            bal += ln.debit - ln.credit
            dr, amt = _money_dir(acc, bal)
            rows.append({
                "kind": "line", "date": ln.date.isoformat(), "voucher": ln.voucher.display_number,
                "voucher_id": ln.voucher_id, "line_no": ln.line_no, "account": codes[ln.account_id],
                "account_name": names[ln.account_id], "summary": ln.summary,
                "debit": fmt_money(ln.debit), "credit": fmt_money(ln.credit),
                "direction": dr, "balance": amt,
            })
        dr, amt = _money_dir(acc, bal)
        rows.append({"kind": "month", "period": period_label(p), "date": b.isoformat(), "voucher": "", "voucher_id": None,
                     "account": "", "summary": "本月合计", "debit": fmt_money(d), "credit": fmt_money(c),
                     "direction": dr, "balance": amt})
        rows.append({"kind": "year", "period": period_label(p), "date": b.isoformat(), "voucher": "", "voucher_id": None,
                     "account": "", "summary": "本年累计", "debit": fmt_money(yd), "credit": fmt_money(yc),
                     "direction": dr, "balance": amt})
    data = {"report": "detail-ledger", "account": acc.code, "name": acc.name, "direction": "借" if acc.direction == "D" else "贷",
            "from": start.isoformat(), "to": end.isoformat(),
            "filters": {k: str(v) for k, v in (dims or {}).items() if v}, "rows": rows}
    cols = [
        Column("date", "日期"), Column("voucher", "凭证号"), Column("account", "科目"), Column("summary", "摘要"),
        Column("debit", "借方", "money"), Column("credit", "贷方", "money"),
        Column("direction", "方向"), Column("balance", "余额", "money"),
    ]
    if len(ids) == 1:
        cols = [c for c in cols if c.key != "account"]
    sub = f"科目：{acc.code} {acc.name}　{start.isoformat()} 至 {end.isoformat()}"
    if dim_labels:
        sub += "　" + "，".join(dim_labels)
    # the printed book leaves the empty side of a line blank; the JSON keeps "0.00"
    table = [dict(r, **{k: "" for k in ("debit", "credit") if r["kind"] in ("line", "opening") and r[k] == "0.00"})
             for r in rows]
    return Report("detail-ledger", "明细账", data, cols, table, subtitle=sub)
