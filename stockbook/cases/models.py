"""Difference cases (差异工单), their comments and history, assignment rules, and the certification
(签核) of each ledger pair per period. See docs/cases.md."""
from django.conf import settings
from django.db import models


class Case(models.Model):
    """One reconciliation difference to be dealt with: a ledger pair × period × cause × warehouse.

    Kept in step with the engine by ``service.sync``: created when the part is material, its amount
    updated in place, closed by the system (with an event) when the difference disappears.
    ``key_cause`` is what the engine attributed ("" = the unexplained rest) and keys the case; ``cause``
    starts equal to it and may be changed by hand (``cause_by_hand``)."""

    OPEN, IN_PROGRESS, RESOLVED, CLOSED = "open", "in_progress", "resolved", "closed"
    STATUSES = [(OPEN, "待确认"), (IN_PROGRESS, "处理中"), (RESOLVED, "已解决"), (CLOSED, "已关闭")]
    ACTIVE = (OPEN, IN_PROGRESS)
    RES_DOCUMENT, RES_RULE, RES_EXPLAINED, RES_GONE = "document", "rule", "explained", "gone"
    RESOLUTIONS = [(RES_DOCUMENT, "调整单据"), (RES_RULE, "学习规则"), (RES_EXPLAINED, "已说明，无需处理"),
                   (RES_GONE, "差异已消失")]

    status = models.CharField("状态", max_length=16, choices=STATUSES, default=OPEN, db_index=True)
    pair_key = models.CharField("对账项目", max_length=40)  # e.g. "stock:1405"
    ledger = models.CharField("账簿", max_length=16)
    account = models.CharField("科目", max_length=32)
    warehouse = models.ForeignKey("masterdata.Warehouse", verbose_name="仓库", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    period = models.IntegerField("期间")  # YYYYMM
    as_of = models.DateField("对账日")
    key_cause = models.CharField("引擎归因", max_length=40, blank=True)  # "" = unexplained
    cause = models.ForeignKey("recon.Cause", verbose_name="原因", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    cause_by_hand = models.BooleanField("原因由人工选择", default=False)
    amount = models.BigIntegerField("差异金额(分)")  # signed, in the pair's normal direction
    gl = models.BigIntegerField("总账(分)", default=0)  # the pair's figures when last synced
    sub = models.BigIntegerField("明细账(分)", default=0)
    title = models.CharField("标题", max_length=200)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="负责人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_cases")
    due = models.DateField("到期日")
    refs = models.JSONField("单据编号", default=list)
    doc_ids = models.JSONField(default=list)
    voucher_ids = models.JSONField(default=list)
    rule = models.CharField("归因规则", max_length=40, blank=True)
    reason = models.TextField("归因说明", blank=True)
    items = models.JSONField(default=list)  # the engine's difference items behind the case (features, rule, reason)
    first_seen = models.DateField("首次出现")  # carried over from the case of the previous period: aging
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # the resolution
    resolution = models.CharField("处理方式", max_length=16, choices=RESOLUTIONS, blank=True)
    resolution_note = models.TextField("处理说明", blank=True)
    resolution_document = models.ForeignKey("posting.Document", verbose_name="调整单据", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    resolution_approval = models.ForeignKey("approvals.ApprovalRequest", verbose_name="审批申请", null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="+")
    resolution_ref = models.CharField("调整单据编号", max_length=100, blank=True)
    learned_rule = models.ForeignKey("recon.Rule", verbose_name="学习到的规则", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    # escalations (once each)
    escalated_at = models.DateTimeField("逾期升级时间", null=True, blank=True)
    aged_at = models.DateTimeField("账龄升级时间", null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["pair_key", "period"]), models.Index(fields=["status", "due"])]
        verbose_name = verbose_name_plural = "差异工单"

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def period_text(self) -> str:
        return f"{self.period // 100:04d}-{self.period % 100:02d}"


class CaseComment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField("内容")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class CaseEvent(models.Model):
    """The case's history: creation, amount changes, status changes, assignment, comments, escalations."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)  # created, updated, status, assigned, cause, comment, escalated, aged, auto_closed
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")  # None = system
    text = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class AssignmentRule(models.Model):
    """Who gets a new case: the most specific rule whose account (prefix) and warehouse match wins."""

    account = models.CharField("科目", max_length=32, blank=True)
    warehouse = models.ForeignKey("masterdata.Warehouse", verbose_name="仓库", null=True, blank=True, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="负责人", on_delete=models.CASCADE, related_name="+")

    class Meta:
        unique_together = [("account", "warehouse")]
        verbose_name = verbose_name_plural = "工单分派规则"


class SyncState(models.Model):
    """Per as-of date: the engine snapshot time the cases were last synced with (the list page syncs only
    when the engine's result changed since)."""

    as_of = models.DateField(unique=True)
    computed_at = models.DateTimeField(null=True)
    synced_at = models.DateTimeField(auto_now=True)


class Certification(models.Model):
    """签核 of one ledger pair for one period: prepared (reconcile) then certified (certify, another
    person), or certified by the system when the difference is 0.00 with no open case."""

    OPEN, PREPARED, CERTIFIED = "open", "prepared", "certified"
    STATUSES = [(OPEN, "未签核"), (PREPARED, "已编制待复核"), (CERTIFIED, "已签核")]

    pair_key = models.CharField("对账项目", max_length=40)
    ledger = models.CharField(max_length=16)
    account = models.CharField(max_length=32)
    period = models.IntegerField("期间")
    as_of = models.DateField("期末日")
    status = models.CharField("状态", max_length=16, choices=STATUSES, default=OPEN)
    gl = models.BigIntegerField(default=0)
    sub = models.BigIntegerField(default=0)
    difference = models.BigIntegerField(default=0)
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    prepared_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_system = models.BooleanField("系统自动签核", default=False)
    certified_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)
    reopen_document = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        unique_together = [("pair_key", "period")]
        indexes = [models.Index(fields=["period"])]
        verbose_name = verbose_name_plural = "对账签核"

    @property
    def period_text(self) -> str:
        return f"{self.period // 100:04d}-{self.period % 100:02d}"


class CertificationEvent(models.Model):
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24)  # prepared, certified, auto_certified, reopened, refused
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    figures = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
