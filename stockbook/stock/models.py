"""Stock subledger: moves (facts), the costing state of each item, snapshots at period ends, and the
results of monthly-average closes.

A move's quantity, item, warehouse, date and document line are facts and never change; its ``value``
is derived (re-costing may change it, and a test proves that re-costing from scratch gives what is
stored). Monthly-average issues have ``value`` NULL until their month is closed.
"""
from django.conf import settings
from django.db import models


class StockMove(models.Model):
    document = models.ForeignKey("posting.Document", db_index=False, on_delete=models.PROTECT, related_name="moves")
    line = models.PositiveIntegerField("行号")
    sub = models.PositiveSmallIntegerField(default=0)
    item = models.ForeignKey("masterdata.Item", db_index=False, on_delete=models.PROTECT, related_name="moves")
    warehouse = models.ForeignKey("masterdata.Warehouse", db_index=False, on_delete=models.PROTECT, related_name="moves")
    date = models.DateField("日期")
    time = models.TimeField("时间", null=True, blank=True)
    code = models.PositiveSmallIntegerField("业务类型")
    qty = models.BigIntegerField("数量(1/10000)")  # signed, base unit
    value = models.BigIntegerField("金额(分)", null=True, blank=True)  # signed; NULL = pending cost
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, db_index=False, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("document", "line", "sub")]
        indexes = [models.Index(fields=["item", "warehouse", "date"]), models.Index(fields=["date"])]
        ordering = ["date", "time", "document_id", "line", "sub"]


class ItemState(models.Model):
    """The costing state of one item at the end of move order: unit qty/value, FIFO layers, open lines."""

    item = models.OneToOneField("masterdata.Item", primary_key=True, on_delete=models.CASCADE, related_name="state")
    method = models.CharField(max_length=20)
    state = models.JSONField(default=dict)


class Snapshot(models.Model):
    """An item's costing state right after a period's close: re-costing never needs to go further back."""

    item = models.ForeignKey("masterdata.Item", on_delete=models.CASCADE, related_name="+")
    period = models.IntegerField()
    state = models.JSONField()

    class Meta:
        unique_together = [("item", "period")]


class MonthlyClose(models.Model):
    """A monthly-average item's close: unit = (opening + receipts value) / (opening + receipts qty)."""

    item = models.ForeignKey("masterdata.Item", on_delete=models.PROTECT, related_name="+")
    period = models.IntegerField()
    document = models.ForeignKey("posting.Document", on_delete=models.PROTECT, related_name="+")
    open_qty = models.BigIntegerField()
    open_value = models.BigIntegerField()
    receipt_qty = models.BigIntegerField()
    receipt_value = models.BigIntegerField()
    unit_num = models.CharField(max_length=60, blank=True)  # exact unit cost as a fraction of 分 per 1/10000 unit
    unit_den = models.CharField(max_length=60, blank=True)
    closing_qty = models.BigIntegerField()
    closing_value = models.BigIntegerField()
    issue_cost = models.BigIntegerField()
    residue = models.BigIntegerField(default=0)

    class Meta:
        unique_together = [("item", "period")]


class StockPeriod(models.Model):
    """Σ qty and Σ value (known values only) of the moves of one (item, warehouse) in one month, kept in the
    posting transaction: a stock balance reads whole months here and moves only for the as-of month."""

    # no index of its own: the unique (item, warehouse, period) index serves lookups by item (fewer pages per posting)
    item = models.ForeignKey("masterdata.Item", db_index=False, on_delete=models.CASCADE, related_name="+")
    warehouse = models.ForeignKey("masterdata.Warehouse", on_delete=models.CASCADE, related_name="+")
    period = models.IntegerField()
    qty = models.BigIntegerField(default=0)
    value = models.BigIntegerField(default=0)

    class Meta:
        unique_together = [("item", "warehouse", "period")]
        indexes = [models.Index(fields=["period"])]


class OpenLine(models.Model):
    """An open receipt ("r") or delivery ("d") line of an item's costing state: what invoices and returns
    have taken of it so far. Kept out of ItemState so that posting does not grow with history."""

    item = models.ForeignKey("masterdata.Item", db_index=False, on_delete=models.CASCADE, related_name="+")  # unique index covers it
    kind = models.CharField(max_length=1)
    line_key = models.CharField(max_length=40)  # "document id:line"
    data = models.JSONField()

    class Meta:
        unique_together = [("item", "kind", "line_key")]
