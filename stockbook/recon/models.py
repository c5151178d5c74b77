"""The reconciliation engine's own tables: the cause knowledge base, the attribution rules, the
materiality thresholds and the maintained results (snapshots)."""
from django.conf import settings
from django.db import models


class Cause(models.Model):
    """原因库: a cause code with its explanation and usual fix (built-in ones seeded by ``ensure_kb``)."""

    code = models.CharField("原因代码", max_length=40, primary_key=True)
    name = models.CharField("名称", max_length=60)
    name_en = models.CharField("English name", max_length=80, blank=True)
    explanation = models.TextField("说明", blank=True)
    fix = models.TextField("常见处理", blank=True)
    builtin = models.BooleanField("预置", default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "差异原因"

    def __str__(self):
        return f"{self.code} {self.name}"


class Rule(models.Model):
    """An attribution rule: when a difference item's pattern matches ``conditions`` it is attributed to
    ``cause``. Rules run in ``order`` (then id); the first that matches wins and is recorded with the part.

    ``conditions`` is a JSON object; every key present must hold (see recon/rules.py FEATURES for the keys
    and their meaning). A rule learned from a case starts ``proposed`` (inactive until someone accepts it)."""

    code = models.CharField("规则编号", max_length=40, unique=True)
    name = models.CharField("规则名称", max_length=200)
    order = models.IntegerField("顺序", default=100)
    active = models.BooleanField("启用", default=True)
    proposed = models.BooleanField("待确认（由工单学习）", default=False)
    builtin = models.BooleanField("预置", default=False)
    conditions = models.JSONField("条件", default=dict)
    cause = models.ForeignKey(Cause, verbose_name="原因", on_delete=models.PROTECT, related_name="rules")
    action = models.CharField("建议处理", max_length=300, blank=True)
    source_case_id = models.IntegerField("来源工单", null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = verbose_name_plural = "对账规则"

    def __str__(self):
        return f"{self.code} {self.name}"


class Threshold(models.Model):
    """重要性阈值: a difference above it opens a case. Most specific row wins: account+warehouse, account,
    warehouse, then the default row (both blank). No row at all: 0.5 % of the balance, no amount."""

    account = models.CharField("科目", max_length=32, blank=True)
    warehouse = models.ForeignKey("masterdata.Warehouse", verbose_name="仓库", null=True, blank=True, on_delete=models.CASCADE)
    pct = models.DecimalField("比例(%)", max_digits=7, decimal_places=4, default="0.5")
    amount = models.BigIntegerField("金额(分)", default=0)  # 0 = not used

    class Meta:
        unique_together = [("account", "warehouse")]
        verbose_name = verbose_name_plural = "差异阈值"


class Snapshot(models.Model):
    """A maintained result (a reconcile, a breakdown, a dashboard series) for one as-of date and
    parameters, with the books version it was computed at (largest document and voucher id). It is
    stale when a document or voucher with a larger id is dated on or before ``as_of``."""

    key = models.CharField(max_length=200)  # kind + parameters, e.g. "reconcile|internal|*"
    as_of = models.DateField()
    doc_version = models.BigIntegerField(default=0)
    voucher_version = models.BigIntegerField(default=0)
    # how many documents / vouchers had an id up to the version when it was read: on PostgreSQL a
    # transaction may commit a smaller id after a larger one; a count that grew means one did
    doc_count = models.BigIntegerField(default=0)
    voucher_count = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)
    millis = models.IntegerField(default=0)  # how long the computation took (display only)
    data = models.JSONField()

    class Meta:
        unique_together = [("key", "as_of")]
