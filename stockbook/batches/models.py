"""Batches (批次), expiry (效期) and serial numbers (序列号) of stock.

- ``ItemPolicy``: whether an item is batch/serial managed, its shelf life and near-expiry window.
- ``Batch``: one code per item, with its expiry; ``BatchMove``: append-only signed movements of a batch
  (a void adds red counter rows, nothing is edited); ``BatchBalance``: Σ of the moves per (item, warehouse,
  batch), kept in the posting transaction. Invariant: for a batch-managed item, Σ BatchBalance over batches
  = the stock qty of (item, warehouse) (``stockbook batch check``).
- ``Serial``: one row per serial number of a serial-managed item, with its status and warehouse;
  ``SerialMove`` is its history.
- ``ExpiryNotice``: which alert (near/expired) was already sent for a batch, so each is sent once.
"""
from django.db import models

VOID_SUB = 10000  # a counter row of a void has sub + 10000, like stock moves


class ItemPolicy(models.Model):
    item = models.OneToOneField("masterdata.Item", on_delete=models.CASCADE, related_name="batch_policy", primary_key=True)
    batch_managed = models.BooleanField("批次管理", default=False)
    serial_managed = models.BooleanField("序列号管理", default=False)
    shelf_life_days = models.PositiveIntegerField("保质期(天)", null=True, blank=True)
    near_expiry_days = models.PositiveIntegerField("近效期预警(天)", default=30)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "存货批次策略"


class Batch(models.Model):
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    code = models.CharField("批次号", max_length=64)
    expiry = models.DateField("有效期至", null=True, blank=True)
    production_date = models.DateField("生产日期", null=True, blank=True)
    supplier = models.ForeignKey("masterdata.Supplier", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_receipt = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("item", "code")]
        verbose_name = verbose_name_plural = "批次"

    def __str__(self):
        return self.code


class BatchMove(models.Model):
    # no document: the opening batch of stock that existed when batch management was turned on (service.enable)
    document = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField()
    sub = models.PositiveIntegerField(default=0)
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey("masterdata.Warehouse", on_delete=models.PROTECT, related_name="+", db_index=False)
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="moves")
    qty = models.BigIntegerField()  # signed, 1/10000 base units
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("document", "line", "sub")]
        indexes = [models.Index(fields=["item", "warehouse"])]
        ordering = ["date", "document_id", "line", "sub"]


class BatchBalance(models.Model):
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+", db_index=False)
    warehouse = models.ForeignKey("masterdata.Warehouse", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="balances")
    qty = models.BigIntegerField(default=0)

    class Meta:
        unique_together = [("item", "warehouse", "batch")]


class Serial(models.Model):
    IN, OUT = "in", "out"
    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    code = models.CharField("序列号", max_length=100)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=4, choices=[(IN, "在库"), (OUT, "已出库")], default=IN)
    receipt = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        unique_together = [("item", "code")]


class SerialMove(models.Model):
    serial = models.ForeignKey(Serial, on_delete=models.PROTECT, related_name="moves")
    document = models.ForeignKey("posting.Document", on_delete=models.PROTECT, related_name="+")
    line = models.PositiveIntegerField()
    warehouse = models.ForeignKey("masterdata.Warehouse", on_delete=models.PROTECT, related_name="+")
    direction = models.SmallIntegerField()  # +1 in, -1 out
    date = models.DateField()
    void = models.BooleanField(default=False)


class ExpiryNotice(models.Model):
    NEAR, EXPIRED = "near", "expired"
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("batch", "state")]
