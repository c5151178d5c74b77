"""Every accepted input is a Document: master data lines, openings and business documents alike.

The document keeps its canonical JSON (for the duplicate rule of the contract) and the identity it is
known by. Its order of acceptance (``id``) is the "order of posting" of the move order.
"""
from django.conf import settings
from django.db import models


class Document(models.Model):
    POSTED, DRAFT, VOID = "posted", "draft", "void"
    type = models.CharField("单据类型", max_length=32)
    ref = models.CharField("单据编号", max_length=100, blank=True)
    identity = models.CharField(max_length=200, unique=True)
    canonical = models.TextField()
    date = models.DateField("日期", null=True, blank=True)
    time = models.TimeField("时间", null=True, blank=True)
    status = models.CharField("状态", max_length=10, default=POSTED, choices=[(POSTED, "已过账"), (DRAFT, "草稿"), (VOID, "已作废")])
    source = models.CharField("来源", max_length=16, default="import")
    # header fields of business documents (also kept in ``canonical``), for lists, filters and rules
    supplier = models.ForeignKey("masterdata.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("masterdata.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("ledger.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(null=True, blank=True)  # 分: a receipt's or payment's amount
    # a customer_receipt / supplier_payment posted to 2203 预收账款 / 1123 预付账款 (docs/contract-extensions.md)
    prepayment = models.BooleanField("预收/预付", default=False, db_default=False)
    ref_document = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    memo = models.CharField("备注", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # the voided documents, few: a replay reads an item's stored moves "not of a voided document"
        # (stock/service.py), which scanned every document row without it
        indexes = [models.Index(fields=["type", "ref"]), models.Index(fields=["date"]),
                   models.Index(fields=["id"], condition=models.Q(status="void"), name="posting_doc_void")]
        verbose_name = verbose_name_plural = "单据"

    def __str__(self):
        return f"{self.type} {self.ref}"


class DocumentLine(models.Model):
    """A line of a document in plain columns (quantities in 1/10000 units, money in 分)."""

    document = models.ForeignKey(Document, related_name="lines", db_index=False, on_delete=models.PROTECT)
    line_no = models.PositiveIntegerField()
    item = models.ForeignKey("masterdata.Item", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("ledger.Account", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+")
    uom = models.CharField(max_length=20, blank=True)
    qty = models.BigIntegerField(null=True, blank=True)  # in the line's unit, 1/10000
    qty_base = models.BigIntegerField(null=True, blank=True)  # in the item's base unit, 1/10000
    unit_price = models.CharField(max_length=40, blank=True)  # exact decimal text
    amount = models.BigIntegerField(null=True, blank=True)  # 分
    tax = models.BigIntegerField(null=True, blank=True)  # 分
    to_warehouse = models.ForeignKey("masterdata.Warehouse", null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+")
    unit_cost = models.CharField(max_length=40, blank=True)  # a count line's given unit cost, exact decimal text
    ref_document = models.ForeignKey(Document, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+")
    ref_line = models.PositiveIntegerField(null=True, blank=True)
    # derived: what costing gave this line (cost, parts taken, differences), re-derived by re-costing
    result = models.JSONField(null=True, blank=True)

    class Meta:
        unique_together = [("document", "line_no")]
        ordering = ["document_id", "line_no"]
        # by item: the replay reads an item's lines; (id, qty_base) make it covering for the unit check's
        # "latest 20 quantities of the item" (no table row read per line: posting cost independent of history)
        indexes = [models.Index(fields=["ref_document", "ref_line"]), models.Index(fields=["item", "id", "qty_base"], name="posting_line_item_recent")]


class PaymentPlanLine(models.Model):
    """收付款计划: an instalment of an invoice's optional ``payment_plan`` (docs/contract-extensions.md §3)."""

    document = models.ForeignKey(Document, related_name="payment_plan", on_delete=models.PROTECT)
    seq = models.PositiveIntegerField()
    due_date = models.DateField("到期日")
    amount = models.BigIntegerField("金额")  # 分

    class Meta:
        unique_together = [("document", "seq")]
        ordering = ["document_id", "seq"]
        indexes = [models.Index(fields=["due_date"])]
