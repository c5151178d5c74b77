"""Reconcile (账实核对), contract section 5: each control account against its subledger, as of a date,
with the difference split into explained causes and an unexplained rest.

Rows: a ``stock`` row per inventory account used by any item, ``grni`` (220202), ``ar`` (1122 and below),
``ap`` (220201). Amounts are in the account's normal direction (debit positive for stock and ar, credit
positive for grni and ap).
"""
from datetime import date

from django.db.models import BigIntegerField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account, Voucher, VoucherLine
from stockbook.masterdata.models import Company, Item
from stockbook.posting.models import Document, DocumentLine
from stockbook.stock.models import StockMove, StockPeriod

from .base import Column, Report
from .trial_balance import turnover
from .stock_balance import balances, monthly_pending

CAUSE_NAMES = {"manual_journal": "手工凭证", "opening_mismatch": "期初不一致", "pending_cost": "成本待结转",
               "unposted_document": "未过账单据"}
LEDGER_NAMES = {"stock": "存货", "grni": "暂估应付", "ar": "应收账款", "ap": "应付账款"}


def _subtree(code: str) -> Q:
    return Q(account__code=code) | Q(account__code__startswith=code)


def _balance(lines) -> int:
    a = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    return (a["d"] or 0) - (a["c"] or 0)


def _journal_cause(code: str, as_of: date, sign: int):
    lines = VoucherLine.objects.filter(_subtree(code), date__lte=as_of, voucher__document__type="journal")
    amount = sign * _balance(lines)
    refs = sorted(set(lines.values_list("voucher__document__ref", flat=True)))
    return {"cause": "manual_journal", "amount": amount, "refs": refs}


def _opening_balance(code: str, as_of: date):
    lines = VoucherLine.objects.filter(_subtree(code), date__lte=as_of, voucher__kind=Voucher.OPENING)
    refs = sorted({r for r in lines.values_list("voucher__document__ref", flat=True) if r})
    return _balance(lines), refs


def _lines_sum(types, field, as_of, extra=None) -> int:
    q = DocumentLine.objects.filter(document__type__in=types, document__date__lte=as_of, document__status=Document.POSTED)
    if extra:
        q = q.filter(**extra)
    return q.aggregate(s=Sum(field))["s"] or 0


def _results_sum(types, key, as_of) -> int:
    """Σ of one integer of the lines' costing results, summed by the database (JSON key extraction)."""
    return DocumentLine.objects.filter(document__type__in=types, document__date__lte=as_of, document__status=Document.POSTED).aggregate(
        s=Sum(Cast(KT(f"result__{key}"), output_field=BigIntegerField())))["s"] or 0


class _GL:
    """Balances of accounts and their sub-accounts as of a date, from PeriodBalance (whole months) and the
    voucher lines of the as-of month — the trial balance's own reading."""

    def __init__(self, as_of):
        own = turnover(None, as_of)
        self.codes = dict(Account.objects.values_list("id", "code"))
        self.own = {self.codes[a]: d - c for a, (d, c) in own.items()}

    def balance(self, code: str) -> int:
        return sum(v for c, v in self.own.items() if c.startswith(code))


def _docs_sum(types, as_of) -> int:
    return Document.objects.filter(type__in=types, date__lte=as_of, status=Document.POSTED).aggregate(s=Sum("amount"))["s"] or 0


def _row(ledger, code, gl, sub, causes):
    causes = [c for c in causes if c["amount"]]
    diff = gl - sub
    return {"ledger": ledger, "account": code, "gl": gl, "subledger": sub, "difference": diff, "causes": causes,
            "unexplained": diff - sum(c["amount"] for c in causes)}


def reconcile_rows(as_of: date) -> list[dict]:
    company = Company.current()
    gls = _GL(as_of)
    rows = []
    stock = balances(as_of)
    inv_accounts = sorted(set(Item.objects.values_list("account__code", flat=True)))
    for code in inv_accounts:
        acct_items = [r for r in stock if r["item"].account.code == code]
        gl = gls.balance(code)
        sub = sum(r["value"] for r in acct_items)
        causes = [_journal_cause(code, as_of, 1)]
        ob, ob_refs = _opening_balance(code, as_of)
        ostock = _opening_stock(code, as_of, company)
        causes.append({"cause": "opening_mismatch", "amount": ob - ostock, "refs": ob_refs})
        causes.append(_pending_cost(code, as_of, company, acct_items))
        rows.append(_row("stock", code, gl, sub, causes))
    # grni: receipt values − parts taken by invoices and purchase returns
    gl = -gls.balance("220202")
    sub = _lines_sum(["purchase_receipt"], "amount", as_of) - _results_sum(["purchase_invoice", "purchase_return"], "P", as_of)
    rows.append(_row("grni", "220202", gl, sub, _other_causes("220202", as_of, -1)))
    # ar: open deliveries + open sales invoices − unallocated receipts
    gl = gls.balance("1122")
    sub = (_lines_sum(["sales_delivery"], "amount", as_of) - _results_sum(["sales_invoice", "sales_return"], "P", as_of)
           + _lines_sum(["sales_invoice"], "amount", as_of) + _lines_sum(["sales_invoice"], "tax", as_of)
           - _docs_sum(["customer_receipt"], as_of))
    rows.append(_row("ar", "1122", gl, sub, _other_causes("1122", as_of, 1)))
    # ap: open purchase invoices − unallocated payments
    gl = -gls.balance("220201")
    sub = (_lines_sum(["purchase_invoice"], "amount", as_of) + _lines_sum(["purchase_invoice"], "tax", as_of)
           - _docs_sum(["supplier_payment"], as_of))
    rows.append(_row("ap", "220201", gl, sub, _other_causes("220201", as_of, -1)))
    return rows


def _opening_stock(code, as_of, company) -> int:
    """Value of the opening stock (dated before the start period) of the account's items."""
    if as_of.year * 100 + as_of.month >= company.start_period:
        qs = StockPeriod.objects.filter(item__account__code=code, period__lt=company.start_period)
    else:
        qs = StockMove.objects.filter(item__account__code=code, code=105, date__lte=as_of)
    return qs.aggregate(v=Sum("value"))["v"] or 0


def _other_causes(code, as_of, sign):
    ob, refs = _opening_balance(code, as_of)
    return [_journal_cause(code, as_of, sign), {"cause": "opening_mismatch", "amount": sign * ob, "refs": refs}]


def _pending_cost(code, as_of, company, acct_items):
    """Monthly-average items pending at as_of: their postings (not journals or openings) to the inventory
    account plus opening stock, minus their stock-balance value."""
    pending = set()
    if monthly_pending(as_of):  # every monthly-average item of the account, held or emptied
        pending = {i.pk for i in Item.objects.filter(account__code=code).select_related("state")
                   if getattr(i, "state", None) and i.state.method == "monthly_average"}
    if not pending:
        return {"cause": "pending_cost", "amount": 0, "refs": []}
    posted = _balance(VoucherLine.objects.filter(_subtree(code), date__lte=as_of, item_id__in=pending)
                      .exclude(voucher__kind=Voucher.OPENING).exclude(voucher__document__type="journal"))
    ostock = StockPeriod.objects.filter(item_id__in=pending, period__lt=company.start_period).aggregate(v=Sum("value"))["v"] or 0
    value = sum(r["value"] for r in acct_items if r["pending"])
    refs = sorted(set(StockMove.objects.filter(item_id__in=pending, value__isnull=True, date__lte=as_of)
                      .values_list("document__ref", flat=True)))
    return {"cause": "pending_cost", "amount": posted + ostock - value, "refs": refs}


def reconcile(as_of: date) -> Report:
    rows = reconcile_rows(as_of)
    data = {"report": "reconcile", "as_of": as_of.isoformat(), "rows": [
        {"ledger": r["ledger"], "account": r["account"], "gl": fmt_money(r["gl"]), "subledger": fmt_money(r["subledger"]),
         "difference": fmt_money(r["difference"]),
         "causes": [{"cause": c["cause"], "amount": fmt_money(c["amount"]), "refs": c["refs"]} for c in r["causes"]],
         "unexplained": fmt_money(r["unexplained"])} for r in rows]}
    names = dict(Account.objects.filter(code__in=[r["account"] for r in rows]).values_list("code", "name"))
    table = [{"ledger": LEDGER_NAMES[r["ledger"]], "account": r["account"], "name": names.get(r["account"], ""),
              "gl": fmt_money(r["gl"]), "subledger": fmt_money(r["subledger"]), "difference": fmt_money(r["difference"]),
              "causes": "；".join(f"{CAUSE_NAMES.get(c['cause'], c['cause'])} {fmt_money(c['amount'])}（{'、'.join(c['refs'])}）"
                                 for c in r["causes"]),
              "unexplained": fmt_money(r["unexplained"])} for r in rows]
    cols = [Column("ledger", "对账项目"), Column("account", "科目"), Column("name", "科目名称"), Column("gl", "总账", "money"),
            Column("subledger", "明细账", "money"), Column("difference", "差异", "money"), Column("causes", "已解释原因"),
            Column("unexplained", "未解释", "money")]
    return Report("reconcile", "账实核对表", data, cols, table, subtitle=f"截至 {as_of.isoformat()}")
