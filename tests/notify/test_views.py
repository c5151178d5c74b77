"""消息中心, the unread badge and its JSON, and the channel settings page with its 发送测试消息 button."""
import pytest

from stockbook.notify import notify
from stockbook.notify.models import Channel, Delivery, Notification

from . import fakerobots


@pytest.fixture
def clerk_web(client, people):
    client.force_login(people["clerk"])
    return client


@pytest.fixture
def boss_web(client, people):
    client.force_login(people["boss"])
    return client


def _two_for_clerk(people):
    notify("approval.requested", recipients=[people["clerk"]], title="新的审批：销售出库单 XS-0001", body="客户：客户一",
           link="/documents/3/")
    notify("approval.rejected", recipients=[people["clerk"]], title="采购入库单 CG-0001 被驳回", body="驳回原因：<b>单价</b>不符")
    notify("approval.requested", recipients=[people["boss"]], title="老板的消息")


def test_inbox_lists_own_messages_in_chinese(clerk_web, people):
    _two_for_clerk(people)
    html = clerk_web.get("/notifications/").content.decode()
    assert "<h1>消息中心</h1>" in html and 'name="viewport"' in html
    assert "新的审批：销售出库单 XS-0001" in html and "采购入库单 CG-0001 被驳回" in html
    assert "老板的消息" not in html
    assert "驳回原因：&lt;b&gt;单价&lt;/b&gt;不符" in html  # bodies are text, never HTML
    assert "全部标为已读" in html and "审批被驳回" in html
    # the nav badge on every page
    home = clerk_web.get("/").content.decode()
    assert 'data-notify-unread aria-label="2 条未读">2</span>' in home


def test_unread_filter_open_and_mark_read(clerk_web, people):
    _two_for_clerk(people)
    first = Notification.objects.get(title__startswith="新的审批")
    second = Notification.objects.get(title__contains="被驳回")
    r = clerk_web.get(f"/notifications/{first.pk}/open")
    assert r.status_code == 302 and r["Location"] == "/documents/3/"
    first.refresh_from_db()
    assert first.read_at is not None
    html = clerk_web.get("/notifications/?show=unread").content.decode()
    assert "被驳回" in html and "销售出库单" not in html
    r = clerk_web.post(f"/notifications/{second.pk}/read", {"next": "/notifications/?show=unread"})
    assert r.status_code == 302 and r["Location"] == "/notifications/?show=unread"
    assert clerk_web.get("/notifications/unread-count").json() == {"unread": 0}
    assert "没有未读消息" in clerk_web.get("/notifications/?show=unread").content.decode()


def test_mark_all_read_and_json(clerk_web, people):
    _two_for_clerk(people)
    assert clerk_web.get("/notifications/unread-count").json() == {"unread": 2}
    r = clerk_web.post("/notifications/read-all", HTTP_ACCEPT="application/json")
    assert r.json() == {"ok": True, "marked": 2, "unread": 0}
    assert Notification.objects.filter(user=people["boss"], read_at__isnull=True).count() == 1  # not someone else's
    assert clerk_web.post("/notifications/read-all", follow=True).status_code == 200


def test_others_messages_are_not_reachable(clerk_web, people):
    _two_for_clerk(people)
    boss_note = Notification.objects.get(user=people["boss"])
    assert clerk_web.get(f"/notifications/{boss_note.pk}/open").status_code == 404
    assert clerk_web.post(f"/notifications/{boss_note.pk}/read").status_code == 404
    boss_note.refresh_from_db()
    assert boss_note.read_at is None


def test_mark_read_needs_post_and_an_offsite_next_is_ignored(clerk_web, people):
    _two_for_clerk(people)
    n = Notification.objects.filter(user=people["clerk"]).first()
    assert clerk_web.get(f"/notifications/{n.pk}/read").status_code == 405
    r = clerk_web.post(f"/notifications/{n.pk}/read", {"next": "https://evil.example/"})
    assert r["Location"] == "/notifications/"


def test_anonymous(client, db):
    r = client.get("/notifications/unread-count")
    assert r.status_code == 401 and r.json()["error"] == "not_authenticated"
    assert client.get("/notifications/")["Location"].startswith("/login/")
    assert client.get("/notifications/channels/")["Location"].startswith("/login/")


def test_email_preference(clerk_web, people):
    html = clerk_web.get("/notifications/").content.decode()
    assert "同时通过邮件接收我的通知" in html and 'checked' in html
    clerk_web.post("/notifications/preferences", {})
    assert people["clerk"].notify_preference.email is False
    notify("approval.approved", recipients=[people["clerk"]], title="已通过")
    assert not Delivery.objects.filter(kind="email").exists()


# -- channels ------------------------------------------------------------------------------------------

def test_channels_are_staff_only(clerk_web, acme):
    for url in ["/notifications/channels/", "/notifications/channels/new/"]:
        assert clerk_web.get(url).status_code == 403
    assert clerk_web.post("/notifications/channels/new/", {"name": "x", "kind": "wecom", "url": "https://q/x?key=1"}
                          ).status_code == 403
    assert not Channel.objects.exists()


def _form(**kw):
    data = {"name": "财务群", "kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "sign": "on", "secret": "SECabc", "enabled": "on"}
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("kw, field, message", [
    ({"url": "oapi.dingtalk.com/robot/send"}, "url", "请填写以 https:// 开头的完整 Webhook 地址"),
    ({"url": "javascript:alert(1)"}, "url", "请填写以 https:// 开头的完整 Webhook 地址"),
    ({"url": "https://oapi.dingtalk.com/robot/send"}, "url", "钉钉机器人地址包含 access_token="),
    ({"secret": ""}, "secret", "已启用加签：请填写钉钉机器人安全设置中“加签”下显示的密钥（以 SEC 开头）"),
    ({"secret": "abc"}, "secret", "钉钉加签密钥以 SEC 开头"),
    ({"sign": None}, "sign", "填写了密钥但未启用签名"),
    ({"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "url", "企业微信机器人地址以 ?key=… 结尾"),
    ({"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, "secret", "企业微信群机器人没有签名密钥"),
    ({"kind": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/"}, "url", "飞书机器人地址形如"),
    ({"kind": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x", "secret": ""}, "secret", "已启用签名校验"),
    ({"kind": "sms"}, "kind", "选择一个有效的选项"),
    ({"name": ""}, "name", "这个字段是必填项"),
])
def test_bad_channel_settings_are_refused_in_chinese(boss_web, acme, kw, field, message):
    r = boss_web.post("/notifications/channels/new/", _form(**kw))
    assert r.status_code == 200
    assert message in str(r.context["form"].errors.get(field)), r.context["form"].errors
    assert "请修正以下错误" in r.content.decode() or "nothing was saved" in r.content.decode() or \
        r.context["form"].errors
    assert not Channel.objects.exists()


def test_create_edit_keeps_secret_test_and_delete(boss_web, acme, robots):
    r = boss_web.post("/notifications/channels/new/", _form(
        url=robots.url("dingtalk"), secret=fakerobots.DINGTALK_SECRET, events=["approval.rejected", "approval.escalated"]))
    assert r.status_code == 302, r.context["form"].errors
    ch = Channel.objects.get()
    assert (ch.company, ch.kind, ch.sign, ch.secret, ch.events) == (
        acme, "dingtalk", True, fakerobots.DINGTALK_SECRET, ["approval.rejected", "approval.escalated"])

    page = boss_web.get(f"/notifications/channels/{ch.pk}/").content.decode()
    assert fakerobots.DINGTALK_SECRET not in page and "已保存密钥；留空则保持不变" in page
    r = boss_web.post(f"/notifications/channels/{ch.pk}/", _form(url=robots.url("dingtalk"), secret="", name="财务审批群"))
    assert r.status_code == 302
    ch.refresh_from_db()
    assert (ch.name, ch.secret, ch.events) == ("财务审批群", fakerobots.DINGTALK_SECRET, [])

    r = boss_web.post(f"/notifications/channels/{ch.pk}/test", follow=True)
    assert "测试消息已发送到“财务审批群”" in r.content.decode()
    [req] = robots.of("dingtalk")
    assert req["answer"]["errcode"] == 0 and req["json"]["markdown"]["title"] == "Stockbook 测试消息"
    assert "发送人：boss" in req["json"]["markdown"]["text"]

    listing = boss_web.get("/notifications/channels/").content.decode()
    assert "发送测试消息" in listing and "已发送" in listing and "钉钉自定义机器人" in listing

    r = boss_web.post(f"/notifications/channels/{ch.pk}/delete", follow=True)
    assert not Channel.objects.exists() and "已删除" in r.content.decode()
    # every change of a channel is in the audit trail, without its secret
    from stockbook.audit.models import AuditEntry

    entries = list(AuditEntry.objects.filter(object_id=str(ch.pk), object_type="notify.channel").order_by("seq"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert all(fakerobots.DINGTALK_SECRET not in (e.before or "") + (e.after or "") for e in entries)
    assert "财务审批群" in entries[1].after


def test_failed_test_message_shows_the_platform_error(boss_web, channel, robots):
    ch = channel("feishu", secret="not-the-secret")
    r = boss_web.post(f"/notifications/channels/{ch.pk}/test", follow=True)
    html = r.content.decode()
    assert "发送测试消息到“feishu 群”失败" in html and "19021" in html
    d = Delivery.objects.get()
    assert (d.status, d.attempts, d.max_attempts) == (Delivery.FAILED, 1, 1)
    ch.secret = fakerobots.FEISHU_SECRET
    ch.save()
    r = boss_web.post(f"/notifications/deliveries/{d.pk}/retry", follow=True)
    d.refresh_from_db()
    assert d.status == Delivery.SENT and "已发送" in r.content.decode()


def test_channel_of_the_page_must_exist(boss_web, acme):
    assert boss_web.get("/notifications/channels/999/").status_code == 404
    assert boss_web.post("/notifications/channels/999/test").status_code == 404
