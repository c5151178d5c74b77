"""External reconciliation (外部对账): saved column mappings, runs (one uploaded file reconciled against the
books) and the rows read from each file, kept for history and for other apps to read.

Money in 分 (integer), quantities in 1/10000 base units, as everywhere in Stockbook.
"""
from django.conf import settings
from django.db import models

KINDS = [("gl", "总账凭证"), ("wms", "WMS 库存")]


class ColumnMapping(models.Model):
    """A saved mapping of a file's headers onto Stockbook's fields (``{"header": "field"}``). Built-in ones
    (金蝶/用友/旺店通/GreaterWMS) live in code (layouts.py); these are the user's own."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=3, choices=KINDS)
    mapping = models.JSONField("映射", default=dict)
    builtin = models.BooleanField("预置", default=False)
    layout = models.CharField("对应格式", max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("kind", "name")]
        ordering = ["kind", "name"]
        verbose_name = verbose_name_plural = "映射方案"

    def __str__(self):
        return self.name


class ExternalRun(models.Model):
    kind = models.CharField("类别", max_length=3, choices=KINDS)
    layout = models.CharField("格式", max_length=60, blank=True)
    mapping = models.JSONField("使用的映射", default=dict)
    mapping_name = models.CharField("映射方案", max_length=100, blank=True)
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField(max_length=64)
    as_of = models.DateField(null=True, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    params = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField("来源", max_length=8, default="web")  # web | api | cli
    rows_read = models.IntegerField("读取行数", default=0)
    rows_bad = models.IntegerField("错误行数", default=0)
    differences = models.IntegerField("差异数", default=0)
    result = models.JSONField("结果", default=dict)
    errors = models.JSONField("错误行", default=list)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"])]
        verbose_name = verbose_name_plural = "外部对账记录"

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"


class ExternalGLLine(models.Model):
    run = models.ForeignKey(ExternalRun, related_name="gl_lines", on_delete=models.CASCADE)
    row_no = models.IntegerField("行号")
    date = models.DateField("日期")
    voucher_no = models.CharField("凭证号", max_length=60)
    account = models.CharField("科目编码", max_length=60)
    debit = models.BigIntegerField("借方(分)", default=0)
    credit = models.BigIntegerField("贷方(分)", default=0)
    summary = models.CharField("摘要", max_length=500, blank=True)
    reference = models.CharField("参考信息", max_length=255, blank=True)
    voucher = models.ForeignKey("ledger.Voucher", null=True, blank=True, db_index=False, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["run_id", "row_no"]


class ExternalStockRow(models.Model):
    run = models.ForeignKey(ExternalRun, related_name="stock_rows", on_delete=models.CASCADE)
    row_no = models.IntegerField("行号")
    warehouse = models.CharField("仓库编码", max_length=64)
    item = models.CharField("存货编码", max_length=64)
    qty = models.BigIntegerField("数量(1/10000 基本单位)")
    uom = models.CharField("单位", max_length=20, blank=True)

    class Meta:
        ordering = ["run_id", "row_no"]
