"""Purchasing: requisitions (请购单), purchase orders (采购订单), their links to posted receipts, quality
checks (到货质检) and the company's tolerances. None of these post: receipts, returns and invoices are
contract documents posted through ``post()``; the hooks in ``hooks.py`` link them to the orders."""
from decimal import Decimal

from django.conf import settings
from django.db import models


class PurchaseSettings(models.Model):
    """Company-wide tolerances (one row)."""

    over_receipt_pct = models.DecimalField("超收比例(%)", max_digits=7, decimal_places=2, default=Decimal("5"))
    price_tolerance_pct = models.DecimalField("发票价格容差(%)", max_digits=7, decimal_places=2, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "采购参数"

    @classmethod
    def current(cls) -> "PurchaseSettings":
        obj = cls.objects.order_by("pk").first()
        return obj or cls.objects.create()


class PurchaseOrder(models.Model):
    DRAFT, PENDING, APPROVED, PARTIAL, RECEIVED, CLOSED, CANCELLED, REJECTED = (
        "draft", "pending", "approved", "partial", "received", "closed", "cancelled", "rejected")
    STATUSES = [(DRAFT, "草稿"), (PENDING, "待审批"), (APPROVED, "已审批"), (PARTIAL, "部分到货"), (RECEIVED, "已到货"),
                (CLOSED, "已关闭"), (CANCELLED, "已取消"), (REJECTED, "已驳回")]
    # the one place where a status may go (services check every change against it)
    TRANSITIONS = {
        DRAFT: {PENDING, APPROVED, CANCELLED},
        PENDING: {APPROVED, REJECTED, DRAFT, CANCELLED},
        APPROVED: {PARTIAL, RECEIVED, CLOSED, CANCELLED},
        PARTIAL: {APPROVED, RECEIVED, CLOSED},
        RECEIVED: {PARTIAL, APPROVED, CLOSED},
        REJECTED: {DRAFT},
        CLOSED: set(), CANCELLED: set(),
    }
    RECEIVABLE = (APPROVED, PARTIAL)
    OPEN = (DRAFT, PENDING, APPROVED, PARTIAL)

    number = models.CharField("订单号", max_length=40, unique=True)
    supplier = models.ForeignKey("masterdata.Supplier", verbose_name="供应商", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", verbose_name="收货仓库", on_delete=models.PROTECT, related_name="+")
    order_date = models.DateField("订单日期")
    expected_date = models.DateField("预计到货日期", null=True, blank=True)
    memo = models.CharField("备注", max_length=500, blank=True)
    status = models.CharField("状态", max_length=10, choices=STATUSES, default=DRAFT, db_index=True)
    amount = models.BigIntegerField("不含税金额(分)", default=0)
    tax = models.BigIntegerField("税额(分)", default=0)
    approval = models.ForeignKey("approvals.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField("来源", max_length=16, default="web")

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = verbose_name_plural = "采购订单"

    def __str__(self):
        return self.number

    @property
    def total(self) -> int:
        return self.amount + self.tax


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, related_name="lines", on_delete=models.CASCADE)
    line_no = models.PositiveIntegerField("行号")
    item = models.ForeignKey("masterdata.Item", verbose_name="存货", on_delete=models.PROTECT, related_name="+")
    uom = models.CharField("单位", max_length=20)
    qty = models.BigIntegerField("数量(1/10000)")  # in uom
    qty_base = models.BigIntegerField("基本单位数量(1/10000)")
    unit_price = models.CharField("不含税单价", max_length=40)  # exact decimal text, per uom
    tax_rate = models.DecimalField("税率", max_digits=6, decimal_places=4, default=Decimal("0"))
    amount = models.BigIntegerField("金额(分)")
    tax = models.BigIntegerField("税额(分)")
    expected_date = models.DateField("预计到货", null=True, blank=True)

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [models.UniqueConstraint(fields=["order", "line_no"], name="purchasing_poline_unique")]


class ReceiptLink(models.Model):
    """A posted purchase receipt line received against a PO line (written by the receipt hook)."""

    po_line = models.ForeignKey(PurchaseOrderLine, related_name="links", on_delete=models.PROTECT)
    document = models.ForeignKey("posting.Document", related_name="+", on_delete=models.PROTECT)  # the receipt
    line_no = models.PositiveIntegerField()
    qty_base = models.BigIntegerField()
    date = models.DateField()
    unit_price_base = models.CharField(max_length=60, blank=True)  # receipt price per base unit, decimal text

    class Meta:
        indexes = [models.Index(fields=["document", "line_no"])]


class ReturnLink(models.Model):
    """A posted purchase return of a linked receipt line (QC reject or a later return)."""

    link = models.ForeignKey(ReceiptLink, related_name="returns", on_delete=models.CASCADE)
    document = models.ForeignKey("posting.Document", related_name="+", on_delete=models.PROTECT)  # the return
    qty_base = models.BigIntegerField()


class Inspection(models.Model):
    receipt = models.OneToOneField("posting.Document", verbose_name="入库单", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("质检日期")
    inspected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    return_document = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    memo = models.CharField("备注", max_length=500, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = verbose_name_plural = "到货质检"


class InspectionLine(models.Model):
    inspection = models.ForeignKey(Inspection, related_name="lines", on_delete=models.CASCADE)
    line_no = models.PositiveIntegerField()  # the receipt's line
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    uom = models.CharField(max_length=20, blank=True)
    received = models.BigIntegerField()  # in uom, 1/10000
    accepted = models.BigIntegerField()
    rejected = models.BigIntegerField()
    rejected_base = models.BigIntegerField(default=0)
    reason = models.CharField("不合格原因", max_length=200, blank=True)

    class Meta:
        ordering = ["inspection_id", "line_no"]


class Requisition(models.Model):
    DRAFT, SUBMITTED, APPROVED, ORDERED, REJECTED = "draft", "submitted", "approved", "ordered", "rejected"
    STATUSES = [(DRAFT, "草稿"), (SUBMITTED, "已提交"), (APPROVED, "已批准"), (ORDERED, "已转订单"), (REJECTED, "已驳回")]
    TRANSITIONS = {DRAFT: {SUBMITTED}, SUBMITTED: {APPROVED, REJECTED}, APPROVED: {ORDERED}, REJECTED: {DRAFT}, ORDERED: set()}

    number = models.CharField("请购单号", max_length=40, unique=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.CharField("部门", max_length=100, blank=True)
    date = models.DateField("日期")
    status = models.CharField("状态", max_length=10, choices=STATUSES, default=DRAFT)
    memo = models.CharField("备注", max_length=500, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approval = models.ForeignKey("approvals.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = verbose_name_plural = "请购单"


class RequisitionLine(models.Model):
    requisition = models.ForeignKey(Requisition, related_name="lines", on_delete=models.CASCADE)
    line_no = models.PositiveIntegerField()
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    qty_base = models.BigIntegerField()
    needed_by = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    po_line = models.ForeignKey(PurchaseOrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="requisition_lines")

    class Meta:
        ordering = ["requisition_id", "line_no"]
