"""Robots against the local fake platform: payload shapes, signatures checked independently, errors kept."""
import base64
import json
import urllib.parse

import pytest

from stockbook.notify import channels, notify
from stockbook.notify.models import Delivery

from . import fakerobots


def _send(django_capture_on_commit_callbacks, event="approval.rejected", **kw):
    args = {"recipients": [], "title": "采购入库单 CG-0001 被驳回", "body": "驳回原因：单价与合同不符\n请修改后重新提交",
            "link": "/documents/7/", "payload": {"document": 7}}
    args.update(kw)
    with django_capture_on_commit_callbacks(execute=True):
        notify(event, **args)
    return list(Delivery.objects.order_by("id"))


def test_wecom_markdown(robots, channel, django_capture_on_commit_callbacks):
    channel("wecom")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.SENT and d.attempts == 1 and d.response_code == 200 and d.last_error == ""
    [req] = robots.of("wecom")
    assert req["answer"] == {"errcode": 0, "errmsg": "ok"}
    content = req["json"]["markdown"]["content"]
    assert content.startswith("**采购入库单 CG-0001 被驳回**\n")
    assert "驳回原因：单价与合同不符" in content and "请修改后重新提交" in content
    assert "(https://erp.example.com/documents/7/)" in content and "审批被驳回" in content
    assert req["headers"]["Content-Type"].startswith("application/json")


def test_wecom_wrong_key_is_a_recorded_failure(robots, channel, django_capture_on_commit_callbacks):
    channel("wecom", url=robots.url("wecom", token="not-the-key"))
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.PENDING and d.attempts == 1
    assert "93000" in d.last_error and "invalid webhook url" in d.last_error
    assert "机器人拒绝了消息" in d.last_error


def test_dingtalk_signed_markdown(robots, channel, django_capture_on_commit_callbacks):
    channel("dingtalk")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.SENT, d.last_error
    [req] = robots.of("dingtalk")
    assert req["answer"]["errcode"] == 0
    assert req["query"]["access_token"] == [fakerobots.DINGTALK_TOKEN]
    ts = req["query"]["timestamp"][0]
    assert len(ts) == 13  # milliseconds
    md = req["json"]["markdown"]
    assert req["json"]["msgtype"] == "markdown" and md["title"] == "采购入库单 CG-0001 被驳回"
    assert md["text"].startswith("#### 采购入库单 CG-0001 被驳回") and "https://erp.example.com/documents/7/" in md["text"]


def test_dingtalk_wrong_secret_is_refused_and_recorded(robots, channel, django_capture_on_commit_callbacks):
    channel("dingtalk", secret="SECthis-is-not-the-secret")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.PENDING
    assert "310000" in d.last_error and "sign not match" in d.last_error
    assert robots.of("dingtalk")[0]["answer"]["errcode"] == 310000


def test_dingtalk_unsigned_robot(robots, channel, django_capture_on_commit_callbacks):
    channel("dingtalk", url=robots.url("dingtalk", token=fakerobots.DINGTALK_PLAIN_TOKEN), sign=False, secret="")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.SENT
    assert "sign" not in robots.of("dingtalk")[0]["query"]


def test_dingtalk_sign_is_url_encoded():
    """A signature with '+', '/' or '=' must reach the server intact: quote_plus, as 钉钉 documents."""
    seen_plus = False
    for ts in range(1_700_000_000_000, 1_700_000_000_200):
        req = channels.build("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=x", fakerobots.DINGTALK_SECRET,
                             True, channels.Message("notify.test", "t"), now=ts / 1000)
        raw = dict(p.split("=", 1) for p in urllib.parse.urlsplit(req.url).query.split("&"))
        assert raw["timestamp"] == str(ts)
        expected = fakerobots.expected_dingtalk_sign(str(ts))
        assert urllib.parse.unquote_plus(raw["sign"]) == expected
        assert "+" not in raw["sign"] and "/" not in raw["sign"]
        seen_plus = seen_plus or "+" in expected
    assert seen_plus


def test_feishu_signed_post(robots, channel, django_capture_on_commit_callbacks):
    channel("feishu")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.SENT, d.last_error
    [req] = robots.of("feishu")
    body = req["json"]
    assert req["answer"]["code"] == 0
    assert body["msg_type"] == "post" and len(body["timestamp"]) == 10  # seconds
    base64.b64decode(body["sign"], validate=True)
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "采购入库单 CG-0001 被驳回"
    texts = [el.get("text") for row in post["content"] for el in row]
    assert "驳回原因：单价与合同不符" in texts and "审批被驳回" in texts
    assert {"tag": "a", "text": "查看详情", "href": "https://erp.example.com/documents/7/"} in post["content"][-1]


def test_feishu_wrong_secret_and_legacy_answer(robots, channel, django_capture_on_commit_callbacks):
    ch = channel("feishu", secret="wrong")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.PENDING and "19021" in d.last_error and "sign match fail" in d.last_error
    ch.secret = fakerobots.FEISHU_SECRET
    ch.save()
    robots.feishu_legacy = True  # {"StatusCode": 0, ...}
    from stockbook.notify.service import deliver_pending

    assert deliver_pending(now=d.next_attempt_at) == {"sent": 1, "retry": 0, "failed": 0}
    d.refresh_from_db()
    assert d.status == Delivery.SENT and d.attempts == 2 and d.last_error == ""


def test_feishu_unsigned_is_refused_by_a_signing_robot(robots, channel, django_capture_on_commit_callbacks):
    channel("feishu", sign=False, secret="")
    [d] = _send(django_capture_on_commit_callbacks)
    assert "19021" in d.last_error
    assert "sign" not in robots.of("feishu")[0]["json"]


def test_generic_webhook_signed(robots, channel, django_capture_on_commit_callbacks):
    channel("webhook")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.SENT and d.response_code == 204
    [req] = robots.of("webhook")
    assert req["json"] == {"event": "approval.rejected", "event_label": "审批被驳回", "title": "采购入库单 CG-0001 被驳回",
                           "body": "驳回原因：单价与合同不符\n请修改后重新提交", "link": "https://erp.example.com/documents/7/",
                           "payload": {"document": 7}, "delivery_id": d.pk}
    assert req["headers"]["X-Stockbook-Event"] == "approval.rejected"
    assert req["headers"]["X-Stockbook-Delivery"] == str(d.pk)


def test_generic_webhook_bad_signature_is_http_401(robots, channel, django_capture_on_commit_callbacks):
    channel("webhook", secret="other")
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.PENDING and d.response_code == 401 and "HTTP 401" in d.last_error


def test_non_json_answer_is_a_failure(robots):
    r = channels.interpret("wecom", 200, "<html>gateway</html>", "")
    assert not r.ok and "不是 JSON" in r.error
    assert channels.interpret("dingtalk", 200, json.dumps({"errcode": 130101, "errmsg": "send too fast"}), "").error \
        == "机器人拒绝了消息：代码 130101，send too fast"
    assert channels.interpret("feishu", 200, json.dumps({"code": 0, "msg": "success"}), "").ok


def test_long_messages_are_cut_to_the_platform_limits(robots, channel, django_capture_on_commit_callbacks):
    channel("wecom")
    [d] = _send(django_capture_on_commit_callbacks, body="长" * 5000)
    assert d.status == Delivery.SENT  # the fake refuses more than 4096 bytes
    content = robots.of("wecom")[0]["json"]["markdown"]["content"]
    assert content.endswith("…") and len(content.encode()) <= 4096


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "webhook"])
def test_no_site_url_means_no_link(kind, robots, channel, settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_SITE_URL = ""
    channel(kind)
    [d] = _send(django_capture_on_commit_callbacks)
    assert d.status == Delivery.SENT, d.last_error
    assert b"/documents/7/" not in robots.requests[0]["body"]
