"""General ledger: accounts, periods, vouchers (凭证) and their lines, and per-period balances.

Amounts are integer 分. Vouchers and their lines are append-only: corrections are new vouchers.
``PeriodBalance`` keeps each account's debit/credit turnover per month, maintained in the posting
transaction, so a trial balance never sums history.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q, Sum

from stockbook.core.money import from_fen


class Account(models.Model):
    code = models.CharField("科目编码", max_length=32, unique=True)
    name = models.CharField("科目名称", max_length=200)
    parent = models.ForeignKey("self", verbose_name="上级科目", null=True, blank=True, related_name="children", on_delete=models.PROTECT)
    level = models.PositiveSmallIntegerField("级次", default=1)
    category = models.CharField("类别", max_length=16)
    direction = models.CharField("余额方向", max_length=1, choices=[("D", "借"), ("C", "贷")])
    builtin = models.BooleanField("预置", default=False)
    active = models.BooleanField("启用", default=True)
    # auxiliary dimensions this account expects on its lines (辅助核算), comma separated
    dimensions = models.CharField("辅助核算", max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "会计科目"

    def __str__(self):
        return f"{self.code} {self.name}"


class Period(models.Model):
    OPEN, CLOSED = "open", "closed"
    period = models.IntegerField("期间", unique=True)  # YYYYMM
    status = models.CharField("状态", max_length=8, default=OPEN, choices=[(OPEN, "未结账"), (CLOSED, "已结账")])
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    close_document = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["period"]

    def __str__(self):
        return f"{self.period // 100:04d}-{self.period % 100:02d}"


class VoucherSequence(models.Model):
    """Gapless numbering per (word, month): taken with a row lock inside the posting transaction."""

    word = models.CharField(max_length=8)
    period = models.IntegerField()
    last = models.IntegerField(default=0)

    class Meta:
        unique_together = [("word", "period")]


class Voucher(models.Model):
    NORMAL, OPENING, CLOSE, ADJUST = "normal", "opening", "close", "adjust"
    # the corrections one re-costing (补单, a void, a reopened period) made to other documents, one voucher per
    # date, owned by the document that caused them; each line belongs to the document line it corrects
    RECOST = "recost"
    KINDS = [(NORMAL, "记账凭证"), (OPENING, "期初余额"), (CLOSE, "期末结账"), (ADJUST, "成本调整"), (RECOST, "重算成本调整")]
    word = models.CharField("凭证字", max_length=8, default="记")
    period = models.IntegerField("期间", db_index=True)  # YYYYMM of the voucher date
    number = models.IntegerField("凭证号")
    date = models.DateField("日期")
    kind = models.CharField("类型", max_length=10, choices=KINDS, default=NORMAL)
    memo = models.CharField("摘要", max_length=500, blank=True)
    document = models.ForeignKey("posting.Document", null=True, blank=True, related_name="vouchers", on_delete=models.PROTECT)
    debit_total = models.BigIntegerField(default=0)
    credit_total = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    audited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    audited_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        # numbers > 0 only: a voucher is inserted with 0 and numbered at the end of its posting (posting.deferred)
        constraints = [models.UniqueConstraint(fields=["word", "period", "number"], condition=models.Q(number__gt=0),
                                               name="ledger_voucher_number_uniq")]
        ordering = ["date", "word", "number"]
        verbose_name = verbose_name_plural = "凭证"

    @property
    def display_number(self):
        return f"{self.word}-{self.period // 100:04d}-{self.period % 100:02d}-{self.number:04d}"

    def __str__(self):
        return self.display_number

    @property
    def total(self):
        return from_fen(self.debit_total)


class VoucherLine(models.Model):
    voucher = models.ForeignKey(Voucher, related_name="lines", on_delete=models.PROTECT)
    line_no = models.PositiveIntegerField("行号")
    account = models.ForeignKey(Account, db_index=False, on_delete=models.PROTECT, related_name="lines")
    debit = models.BigIntegerField("借方(分)", default=0)
    credit = models.BigIntegerField("贷方(分)", default=0)
    summary = models.CharField("摘要", max_length=500, blank=True)
    date = models.DateField(db_index=True)  # = voucher.date, kept here for ledger queries
    period = models.IntegerField()
    # auxiliary dimensions (辅助核算) and the back-link to the document line this amount came from: no
    # database constraint (each would cost an index lookup per line written: a re-costing writes tens of
    # thousands). Django still refuses to delete a referenced record (PROTECT), the posting path writes only ids
    # it has read, and ``stockbook check`` reports a dangling one (posting/integrity.py; docs/decisions.md).
    customer = models.ForeignKey("masterdata.Customer", null=True, blank=True, db_index=False, db_constraint=False, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey("masterdata.Supplier", null=True, blank=True, db_index=False, db_constraint=False, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("masterdata.Item", null=True, blank=True, db_index=False, db_constraint=False, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", null=True, blank=True, db_index=False, db_constraint=False, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("masterdata.Department", null=True, blank=True, db_index=False, db_constraint=False, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey("posting.Document", null=True, blank=True, db_index=False, db_constraint=False, on_delete=models.PROTECT, related_name="+")
    doc_line = models.PositiveIntegerField(null=True, blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="corrections")
    # a line of a re-costing voucher (Voucher.RECOST): ``document`` is the document whose line it corrects, not
    # the voucher's. The document index leads with it, so that a 补单's tens of thousands of correction lines
    # go to the index's own part for them instead of into every page of the part that indexes posted lines (a
    # third of a 补单's writing before 100,000 moves: docs/benchmarks.md); a look-up of every line of a document
    # names both values (``recost__in=(False, True)``).
    recost = models.BooleanField(default=False)

    class Meta:
        ordering = ["voucher_id", "line_no"]
        indexes = [models.Index(fields=["account", "date"]), models.Index(fields=["recost", "document", "doc_line"], name="ledger_vl_document")]


class PeriodBalance(models.Model):
    """Turnover of one account in one month (its own lines only; parents are summed at report time)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    period = models.IntegerField()
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        unique_together = [("account", "period")]


class PartyBalance(models.Model):
    """Turnover of one account with one customer ("c") or supplier ("s"), all dates: the credit-limit
    check and party balances read it instead of summing the party's voucher lines."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    party_kind = models.CharField(max_length=1)
    party_id = models.BigIntegerField()
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        unique_together = [("account", "party_kind", "party_id")]

    @classmethod
    def receivable(cls, customer_id: int) -> int:
        """The customer's balance of 1122 应收账款 and its sub-accounts (分, debit positive), over every
        accepted document of any date: what the credit limit is measured against."""
        bal = cls.objects.filter(party_kind="c", party_id=customer_id).filter(
            Q(account__code="1122") | Q(account__code__startswith="1122")).aggregate(d=Sum("debit"), c=Sum("credit"))
        return (bal["d"] or 0) - (bal["c"] or 0)
