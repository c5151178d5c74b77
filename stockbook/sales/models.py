"""Order-to-cash documents that do not post themselves: quotations (报价单), sales orders (销售订单), their
reservations (预留), the links of posted deliveries to order lines, and price rules (阶梯价/客户价).

Quantities are integer 1/10000 units (``qty`` in the line's unit, ``qty_base`` in the item's base unit),
money integer 分, prices Decimal (the contract's unit_price may carry more than two decimals)."""
from django.conf import settings
from django.db import models


class Quotation(models.Model):
    DRAFT, SENT, CONVERTED, EXPIRED = "draft", "sent", "converted", "expired"
    STATUSES = [(DRAFT, "草稿"), (SENT, "已发送"), (CONVERTED, "已转订单"), (EXPIRED, "已失效")]
    no = models.CharField("报价单号", max_length=40, unique=True)
    customer = models.ForeignKey("masterdata.Customer", verbose_name="客户", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", verbose_name="仓库", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    date = models.DateField("报价日期")
    valid_until = models.DateField("有效期至")
    status = models.CharField("状态", max_length=12, choices=STATUSES, default=DRAFT)
    memo = models.CharField("备注", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = verbose_name_plural = "报价单"

    def __str__(self):
        return self.no


class QuotationLine(models.Model):
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField("行号")
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    uom = models.CharField("单位", max_length=20)
    qty = models.BigIntegerField("数量(1/10000)")
    list_price = models.DecimalField("单价", max_digits=24, decimal_places=6)
    discount_pct = models.DecimalField("折扣%", max_digits=7, decimal_places=4, default=0)
    tax_rate = models.DecimalField("税率", max_digits=6, decimal_places=4, default=0)
    gift = models.BooleanField("赠品", default=False)

    class Meta:
        ordering = ["line_no"]
        unique_together = [("quotation", "line_no")]


class SalesOrder(models.Model):
    DRAFT, CONFIRMED, PARTIAL, DELIVERED, CLOSED, CANCELLED = "draft", "confirmed", "partial", "delivered", "closed", "cancelled"
    STATUSES = [(DRAFT, "草稿"), (CONFIRMED, "已确认"), (PARTIAL, "部分发货"), (DELIVERED, "已发货"), (CLOSED, "已关闭"),
                (CANCELLED, "已取消")]
    OPEN = (CONFIRMED, PARTIAL)  # holding reservations, deliverable
    no = models.CharField("订单号", max_length=40, unique=True)
    customer = models.ForeignKey("masterdata.Customer", verbose_name="客户", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", verbose_name="仓库", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("订单日期")
    delivery_date = models.DateField("交货日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=STATUSES, default=DRAFT)
    order_discount = models.BigIntegerField("整单优惠(分)", default=0)
    net_total = models.BigIntegerField("不含税金额(分)", default=0)
    tax_total = models.BigIntegerField("税额(分)", default=0)
    quotation = models.ForeignKey(Quotation, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    override_amount = models.BigIntegerField("已批准超额度(分)", null=True, blank=True)  # approved exposure incl. this order
    override_request = models.ForeignKey("approvals.ApprovalRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    memo = models.CharField("备注", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["customer", "status"]), models.Index(fields=["status"])]
        verbose_name = verbose_name_plural = "销售订单"

    def __str__(self):
        return self.no

    @property
    def gross_total(self) -> int:
        return self.net_total + self.tax_total


class SalesOrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField("行号")
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    uom = models.CharField("单位", max_length=20)
    qty = models.BigIntegerField("数量(1/10000)")  # in uom
    qty_base = models.BigIntegerField("基本单位数量(1/10000)")
    list_price = models.DecimalField("原价", max_digits=24, decimal_places=6)
    discount_pct = models.DecimalField("折扣%", max_digits=7, decimal_places=4, default=0)
    unit_price = models.DecimalField("净价", max_digits=24, decimal_places=6)  # after line discount and order discount share
    tax_rate = models.DecimalField("税率", max_digits=6, decimal_places=4, default=0)
    gift = models.BooleanField("赠品", default=False)
    amount = models.BigIntegerField("行金额(分)")  # qty × list price × (1 − discount%), before the order discount
    discount_share = models.BigIntegerField("整单优惠分摊(分)", default=0)
    net_amount = models.BigIntegerField("不含税金额(分)")  # amount − discount_share
    tax = models.BigIntegerField("税额(分)", default=0)
    delivered_base = models.BigIntegerField("已发货(1/10000)", default=0)

    class Meta:
        ordering = ["line_no"]
        unique_together = [("order", "line_no")]

    @property
    def remaining_base(self) -> int:
        return max(0, self.qty_base - self.delivered_base)


class Reservation(models.Model):
    """Stock held for one open order line in the order's warehouse; ``qty_base`` is what is still held
    (a delivery consumes it, cancel/close release it to 0)."""
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="reservations")
    order_line = models.OneToOneField(SalesOrderLine, on_delete=models.CASCADE, related_name="reservation")
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", on_delete=models.PROTECT, related_name="+")
    qty_base = models.BigIntegerField("预留数量(1/10000)")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["item", "warehouse"])]
        verbose_name = verbose_name_plural = "库存预留"


class DeliveryLink(models.Model):
    """A posted sales_delivery line that delivered an order line (written by the on_post hook)."""
    document = models.ForeignKey("posting.Document", on_delete=models.CASCADE, related_name="+")
    line_no = models.PositiveIntegerField()
    order = models.ForeignKey(SalesOrder, on_delete=models.PROTECT, related_name="deliveries")
    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="deliveries")
    qty_base = models.BigIntegerField()
    amount = models.BigIntegerField(default=0)  # the delivery line's net (分)
    reserved_taken = models.BigIntegerField(default=0)  # consumed reservation (restored on void)

    class Meta:
        unique_together = [("document", "line_no")]


class PriceRule(models.Model):
    """A tiered or customer price: from ``min_qty`` (base units) of ``item`` (for ``customer`` when given),
    valid from/to. The best (lowest) applicable price wins."""
    item = models.ForeignKey("masterdata.Item", verbose_name="存货", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("masterdata.Customer", verbose_name="客户", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    min_qty = models.BigIntegerField("起订数量(1/10000)", default=0)
    unit_price = models.DecimalField("单价", max_digits=24, decimal_places=6)
    valid_from = models.DateField("生效日", null=True, blank=True)
    valid_to = models.DateField("失效日", null=True, blank=True)
    active = models.BooleanField("启用", default=True)
    memo = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["item_id", "min_qty"]
        verbose_name = verbose_name_plural = "价格政策"
