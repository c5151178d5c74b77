"""In-app notifications, the company's robot channels, and the delivery log with its retry state."""
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

KIND_WECOM, KIND_DINGTALK, KIND_FEISHU, KIND_WEBHOOK, KIND_EMAIL = "wecom", "dingtalk", "feishu", "webhook", "email"
CHANNEL_KINDS = [
    (KIND_WECOM, "企业微信群机器人"),
    (KIND_DINGTALK, "钉钉自定义机器人"),
    (KIND_FEISHU, "飞书自定义机器人"),
    (KIND_WEBHOOK, "通用 Webhook"),
]
DELIVERY_KINDS = [*CHANNEL_KINDS, (KIND_EMAIL, "电子邮件")]


class Notification(models.Model):
    """One message in one person's 消息中心."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="notifications", on_delete=models.CASCADE)
    event = models.CharField("事件", max_length=64)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notify_user_unread"),
                   models.Index(fields=["user", "-created_at"], name="notify_user_recent")]
        verbose_name = verbose_name_plural = "站内消息"

    def __str__(self):
        return self.title

    @property
    def is_read(self):
        return self.read_at is not None


class Channel(models.Model):
    """A group robot (or generic webhook) of the company that receives the events it subscribes to."""

    company = models.ForeignKey("masterdata.Company", related_name="notify_channels", on_delete=models.CASCADE)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=CHANNEL_KINDS)
    url = models.URLField("Webhook 地址", max_length=1000)
    sign = models.BooleanField("加签 / 签名校验", default=False)
    secret = models.CharField("密钥", max_length=200, blank=True)
    enabled = models.BooleanField("启用", default=True)
    events = models.JSONField("订阅事件", default=list, blank=True)  # [] = every event
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = verbose_name_plural = "通知通道"

    def __str__(self):
        return self.name

    def wants(self, event: str) -> bool:
        from .events import matches

        return self.enabled and matches(self.events, event)


class Preference(models.Model):
    """A person's own choices; no row means the defaults."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, related_name="notify_preference", on_delete=models.CASCADE)
    email = models.BooleanField("邮件通知", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"


class Delivery(models.Model):
    """One message to one external target (a robot, or one person's mailbox), with its retry state.

    The content is stored, not the request: every attempt signs afresh (钉钉 and 飞书 refuse a timestamp
    older than an hour)."""

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATUSES = [(PENDING, "待发送"), (SENDING, "发送中"), (SENT, "已发送"), (FAILED, "失败")]

    channel = models.ForeignKey(Channel, related_name="deliveries", null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField("类型", max_length=16, choices=DELIVERY_KINDS)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="notify_deliveries", null=True, blank=True,
                             on_delete=models.SET_NULL)
    address = models.CharField("收件地址", max_length=254, blank=True)
    event = models.CharField("事件", max_length=64)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    link = models.CharField("链接", max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField("状态", max_length=16, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    max_attempts = models.PositiveIntegerField("最多尝试", default=6)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_code = models.IntegerField("HTTP 状态码", null=True, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]
        verbose_name = verbose_name_plural = "通知投递"

    def __str__(self):
        return f"{self.kind} {self.title} ({self.status})"
