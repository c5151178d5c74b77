"""The robot formats: build the signed HTTP request for each kind, post it, read the platform's answer.

* 企业微信群机器人: POST {"msgtype": "markdown", "markdown": {"content": ...}} to the webhook URL (the key is
  in the URL; no signing). Success: {"errcode": 0}.
* 钉钉自定义机器人: with 加签, ``timestamp`` (ms) + "\\n" + secret is HMAC-SHA256'd with the secret as key,
  base64'd and url-encoded, then appended as ``&timestamp=…&sign=…``. Body
  {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}. Success: {"errcode": 0}.
* 飞书自定义机器人: with 签名校验, ``timestamp`` (s) + "\\n" + secret is the HMAC-SHA256 *key* of an empty
  message, base64'd; ``timestamp`` and ``sign`` go into the body next to {"msg_type": "post", "content": ...}.
  Success: {"code": 0} (older answers: {"StatusCode": 0}).
* Generic webhook: POST our own JSON; with a secret, ``X-Stockbook-Signature: sha256=<hex>`` is the
  HMAC-SHA256 (key: secret) of ``<X-Stockbook-Timestamp>.<body>``. Success: any 2xx answer.
"""
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.utils.translation import gettext as _

from . import conf
from .events import event_label
from .models import KIND_DINGTALK, KIND_FEISHU, KIND_WEBHOOK, KIND_WECOM

USER_AGENT = "Stockbook-notify/1"
MAX_RESPONSE = 64 * 1024


@dataclass
class Message:
    event: str
    title: str
    body: str = ""
    link: str = ""  # absolute, or ""
    payload: dict | None = None
    delivery_id: int | None = None


@dataclass
class Request:
    url: str
    body: bytes
    headers: dict


@dataclass
class Result:
    ok: bool
    status: int | None = None  # HTTP status, None when no answer came
    error: str = ""
    response: str = ""


# -- signatures -----------------------------------------------------------------------------------------

def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The url-encoded 钉钉 加签 value."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """The 飞书 签名校验 value: the string to sign is the HMAC key, the message is empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def webhook_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), str(timestamp_s).encode() + b"." + body, hashlib.sha256).hexdigest()


# -- message text ---------------------------------------------------------------------------------------

def truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode(errors="ignore") + "…"


def _markdown(msg: Message, heading: str) -> list[str]:
    parts = [f"{heading}{msg.title}", *[line for line in msg.body.splitlines() if line.strip()]]
    if msg.link:
        parts.append(f"[{_('View details')}]({msg.link})")
    return parts


def build(kind: str, url: str, secret: str, sign: bool, msg: Message, now: float | None = None) -> Request:
    """The HTTP request one attempt sends (signed with the current time)."""
    now = time.time() if now is None else now
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
    label = str(event_label(msg.event))
    if kind == KIND_WECOM:
        lines = _markdown(msg, "**")
        lines[0] += "**"
        lines.insert(1, f'<font color="comment">{label}</font>')
        data = {"msgtype": "markdown", "markdown": {"content": truncate_bytes("\n".join(lines), 4000)}}
    elif kind == KIND_DINGTALK:
        lines = _markdown(msg, "#### ")
        lines.insert(1, f"> {label}")
        data = {"msgtype": "markdown",
                "markdown": {"title": truncate_bytes(msg.title, 200), "text": truncate_bytes("\n\n".join(lines), 15000)}}
        if sign:
            ts = int(now * 1000)
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + f"timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
    elif kind == KIND_FEISHU:
        rows = [[{"tag": "text", "text": label}]]
        rows += [[{"tag": "text", "text": truncate_bytes(line, 4000)}] for line in msg.body.splitlines() if line.strip()]
        if msg.link:
            rows.append([{"tag": "a", "text": _("View details"), "href": msg.link}])
        data = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": msg.title, "content": rows[:50]}}}}
        if sign:
            ts = int(now)
            data = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **data}
    elif kind == KIND_WEBHOOK:
        data = {"event": msg.event, "event_label": label, "title": msg.title, "body": msg.body,
                "link": msg.link or None, "payload": msg.payload or {}, "delivery_id": msg.delivery_id}
    else:
        raise ValueError(f"unknown channel kind {kind!r}")
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    if kind == KIND_WEBHOOK:
        ts = int(now)
        headers["X-Stockbook-Event"] = msg.event
        headers["X-Stockbook-Timestamp"] = str(ts)
        if msg.delivery_id is not None:
            headers["X-Stockbook-Delivery"] = str(msg.delivery_id)
        if secret:
            headers["X-Stockbook-Signature"] = webhook_sign(secret, ts, body)
    return Request(url=url, body=body, headers=headers)


# -- sending --------------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a robot never redirects; a POST must not turn into a GET
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(req: Request, timeout: float) -> tuple[int | None, str, str]:
    """(HTTP status or None, response text, transport error or '')."""
    r = urllib.request.Request(req.url, data=req.body, headers=req.headers, method="POST")
    try:
        with _opener.open(r, timeout=timeout) as resp:
            return resp.status, resp.read(MAX_RESPONSE).decode(errors="replace"), ""
    except urllib.error.HTTPError as e:
        try:
            text = e.read(MAX_RESPONSE).decode(errors="replace")
        except OSError:
            text = ""
        return e.code, text, ""
    except TimeoutError:
        return None, "", _("No answer within %(s)s seconds") % {"s": f"{timeout:g}"}
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            return None, "", _("No answer within %(s)s seconds") % {"s": f"{timeout:g}"}
        return None, "", _("Connection failed: %(reason)s") % {"reason": e.reason}
    except (OSError, ValueError) as e:
        return None, "", _("Connection failed: %(reason)s") % {"reason": e}


def interpret(kind: str, status: int | None, text: str, transport_error: str) -> Result:
    """Turn an answer into success or a recorded error (the platform's own code and message kept)."""
    if transport_error:
        return Result(False, status, transport_error, text[:2000])
    if status is None or not 200 <= status < 300:
        return Result(False, status, _("HTTP %(status)s") % {"status": status} + (f": {text[:300]}" if text else ""),
                      text[:2000])
    if kind == KIND_WEBHOOK:
        return Result(True, status, "", text[:2000])
    try:
        data = json.loads(text)
    except ValueError:
        return Result(False, status, _("The answer is not JSON: %(text)s") % {"text": text[:300]}, text[:2000])
    if not isinstance(data, dict):
        return Result(False, status, _("The answer is not JSON: %(text)s") % {"text": text[:300]}, text[:2000])
    if kind in (KIND_WECOM, KIND_DINGTALK):
        code, message = data.get("errcode"), data.get("errmsg", "")
    else:  # feishu: {"code": 0, "msg": ...}; older answers {"StatusCode": 0, "StatusMessage": ...}
        code = data.get("code", data.get("StatusCode"))
        message = data.get("msg", data.get("StatusMessage", ""))
    if code == 0:
        return Result(True, status, "", text[:2000])
    return Result(False, status, _("The robot refused the message: code %(code)s, %(message)s")
                  % {"code": code, "message": message}, text[:2000])


def send(kind: str, url: str, secret: str, sign: bool, msg: Message) -> Result:
    timeout = conf.http_timeout()
    status, text, error = post(build(kind, url, secret, sign, msg), timeout)
    return interpret(kind, status, text, error)
