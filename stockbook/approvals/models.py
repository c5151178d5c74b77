"""Workflows (the company's rules) and requests (one document on its way through them).

Amounts are integer 分. A request keeps a snapshot of its workflow's steps (``steps``), so editing a
workflow never changes a request already under way — as in 钉钉 and 金蝶.
"""
import json

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.urls import reverse

MODE_ALL, MODE_ANY = "all", "any"
MODES = [(MODE_ALL, "会签（全部同意）"), (MODE_ANY, "或签（一人同意即可）")]


class Workflow(models.Model):
    """Which documents need approval: a document type and an amount range (min ≤ amount < max; empty =
    no bound). Of several active matching workflows the one with the highest priority (then the lowest
    id) applies."""

    doc_type = models.CharField("单据类型", max_length=32)
    name = models.CharField("名称", max_length=100)
    min_amount = models.BigIntegerField("金额下限（含，分）", null=True, blank=True)
    max_amount = models.BigIntegerField("金额上限（不含，分）", null=True, blank=True)
    active = models.BooleanField("启用", default=True)
    priority = models.IntegerField("优先级", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["doc_type", "-priority", "id"]
        indexes = [models.Index(fields=["doc_type", "active"])]
        default_permissions = ()
        verbose_name = verbose_name_plural = "审批流程"

    def __str__(self):
        return self.name

    def matches(self, amount: int | None) -> bool:
        if self.min_amount is None and self.max_amount is None:
            return True
        if amount is None:
            return False
        if self.min_amount is not None and amount < self.min_amount:
            return False
        if self.max_amount is not None and amount >= self.max_amount:
            return False
        return True

    def snapshot(self) -> list[dict]:
        out = []
        for s in self.steps.order_by("level").prefetch_related("roles", "users"):
            out.append({"level": s.level, "name": s.name, "mode": s.mode,
                        "roles": sorted(g.pk for g in s.roles.all()), "users": sorted(u.pk for u in s.users.all()),
                        "timeout_hours": s.timeout_hours, "escalate_to_role": s.escalate_to_role_id})
        return out


class Step(models.Model):
    """One level: approvers are the members of the role groups and the named users. On timeout the level
    is escalated: to the role ``escalate_to_role`` (whose members then decide, any one of them), or —
    without one — to the next level."""

    workflow = models.ForeignKey(Workflow, related_name="steps", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField("级别")
    name = models.CharField("名称", max_length=100, blank=True)
    mode = models.CharField("方式", max_length=3, choices=MODES, default=MODE_ANY)
    roles = models.ManyToManyField(Group, blank=True, related_name="+", verbose_name="审批角色")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="审批人")
    timeout_hours = models.PositiveIntegerField("超时（小时）", null=True, blank=True)
    escalate_to_role = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                         verbose_name="超时升级给角色")

    class Meta:
        ordering = ["workflow_id", "level"]
        unique_together = [("workflow", "level")]
        default_permissions = ()
        verbose_name = verbose_name_plural = "审批步骤"

    def __str__(self):
        return f"{self.workflow} #{self.level}"


class ApprovalSettings(models.Model):
    """The company's approval settings (one row)."""

    allow_self_approval = models.BooleanField(
        "允许制单人审批自己的单据", default=False,
        help_text="仅适用于一人公司：关闭时，制单人永远不能审批自己提交的单据（职责分离）。")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        default_permissions = ()
        verbose_name = verbose_name_plural = "审批设置"

    @classmethod
    def current(cls) -> "ApprovalSettings":
        return cls.objects.filter(pk=1).first() or cls(pk=1)


# what the business apps ask approval for (issue 7): orders and credit overrides are not posting documents
ORDER_TYPE_NAMES = {"purchase_order": "采购订单", "purchase_requisition": "请购单", "sales_order": "销售订单",
                    "credit_override": "销售订单"}


class ApprovalRequest(models.Model):
    KIND_DOCUMENT, KIND_VOID, KIND_REOPEN = "document", "void", "reopen"
    KIND_ORDER, KIND_CREDIT = "order", "credit"  # purchase/sales orders (stockbook.purchasing/sales), credit-limit overrides
    KINDS = [(KIND_DOCUMENT, "单据过账"), (KIND_VOID, "作废/红冲"), (KIND_REOPEN, "反结账"), (KIND_ORDER, "订单审批"),
             (KIND_CREDIT, "超信用额度")]
    PENDING, APPROVED, REJECTED, FAILED, CANCELLED = "pending", "approved", "rejected", "failed", "cancelled"
    STATUSES = [(PENDING, "审批中"), (APPROVED, "已通过"), (REJECTED, "已驳回"), (FAILED, "过账失败"), (CANCELLED, "已撤回")]

    kind = models.CharField("类别", max_length=16, choices=KINDS, default=KIND_DOCUMENT)
    doc_type = models.CharField("单据类型", max_length=32)
    ref = models.CharField("单据编号", max_length=100, blank=True)
    payload = models.TextField("提交内容")  # the interchange document exactly as submitted (JSON text)
    amount = models.BigIntegerField("金额（分）", null=True, blank=True)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests",
                              verbose_name="提交人")
    source = models.CharField("来源", max_length=16, default="web")
    status = models.CharField("状态", max_length=10, choices=STATUSES, default=PENDING)
    workflow = models.ForeignKey(Workflow, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests")
    workflow_name = models.CharField("流程", max_length=100, blank=True)
    steps = models.JSONField(default=list)  # the workflow's steps when submitted (Workflow.snapshot())
    current_level = models.PositiveSmallIntegerField("当前级别", default=1)
    level_started_at = models.DateTimeField("本级开始时间")
    escalated = models.BooleanField("本级已超时升级", default=False)
    created_at = models.DateTimeField("提交时间")
    decided_at = models.DateTimeField("完成时间", null=True, blank=True)
    document = models.ForeignKey("posting.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error_code = models.CharField("错误代码", max_length=40, blank=True)
    error_message = models.TextField("错误信息", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "current_level"]), models.Index(fields=["maker", "-created_at"])]
        constraints = [models.UniqueConstraint(fields=["kind", "doc_type", "ref"], condition=Q(status="pending"),
                                               name="approvals_one_pending_per_ref")]
        default_permissions = ()
        verbose_name = verbose_name_plural = "审批单"

    def __str__(self):
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("approvals:detail", args=[self.pk])

    @property
    def type_name(self) -> str:
        from stockbook.posting.service import TYPE_NAMES

        return TYPE_NAMES.get(self.doc_type) or ORDER_TYPE_NAMES.get(self.doc_type, self.doc_type)

    @property
    def title(self) -> str:
        prefix = {self.KIND_VOID: "作废 ", self.KIND_REOPEN: "反结账 ", self.KIND_CREDIT: "超信用额度 "}.get(self.kind, "")
        return f"{prefix}{self.type_name} {self.ref}".strip()

    @property
    def document_obj(self) -> dict:
        try:
            obj = json.loads(self.payload)
        except ValueError:
            return {}
        return obj if isinstance(obj, dict) else {}

    def step(self, level: int | None = None) -> dict | None:
        level = self.current_level if level is None else level
        for s in self.steps:
            if s["level"] == level:
                return s
        return None

    @property
    def levels(self) -> int:
        return max((s["level"] for s in self.steps), default=0)

    @property
    def is_pending(self) -> bool:
        return self.status == self.PENDING


class Assignee(models.Model):
    """One approver's vote at one level of one request. Rows are made when the request reaches the
    level (role members then); 转交 closes a row as ``delegated`` and opens one for the delegate."""

    PENDING, APPROVED, REJECTED, DELEGATED, ESCALATED, SKIPPED = "pending", "approved", "rejected", "delegated", "escalated", "skipped"
    STATES = [(PENDING, "待审批"), (APPROVED, "已同意"), (REJECTED, "已驳回"), (DELEGATED, "已转交"), (ESCALATED, "超时已升级"),
              (SKIPPED, "无需审批")]

    request = models.ForeignKey(ApprovalRequest, related_name="assignees", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_tasks")
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    delegated_from = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request_id", "level", "id"]
        unique_together = [("request", "level", "user")]
        indexes = [models.Index(fields=["user", "state"])]
        default_permissions = ()


class Decision(models.Model):
    """The history of a request: who did what at which level (user empty = the system, e.g. a timeout)."""

    APPROVE, REJECT, DELEGATE, ESCALATE, CANCEL = "approve", "reject", "delegate", "escalate", "cancel"
    ACTIONS = [(APPROVE, "同意"), (REJECT, "驳回"), (DELEGATE, "转交"), (ESCALATE, "超时升级"), (CANCEL, "撤回")]

    request = models.ForeignKey(ApprovalRequest, related_name="decisions", on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=ACTIONS)
    comment = models.TextField(blank=True)
    signed = models.BooleanField(default=False)  # the password was re-entered (电子签名)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["request_id", "at", "id"]
        default_permissions = ()
