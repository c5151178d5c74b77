"""A local stand-in for the 企业微信, 钉钉 and 飞书 robot endpoints and a generic webhook receiver.

It checks each request the way the platform does — with its own implementation of each signature, written
from the platforms' documentation and independent of stockbook.notify — and answers like the platform:
errcode/code 0 on success, the platform's error codes for a wrong token, a bad signature, a stale timestamp
or a malformed body. Tests can queue failures (an HTTP status, or "hang" to make the client time out).
"""
import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "dt-token-signed"
DINGTALK_PLAIN_TOKEN = "dt-token-keyword"
DINGTALK_SECRET = "SECd1f7b2ce0e5b4f7c8a9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d"
FEISHU_HOOK = "0f3b3f5e-7d41-4a4b-9a7e-1c2d3e4f5a6b"
FEISHU_SECRET = "fs3cr3t+/=中"
WEBHOOK_SECRET = "whsec-abc"
ONE_HOUR_MS = 3600 * 1000


def expected_dingtalk_sign(timestamp: str) -> str:
    """钉钉: Base64(HmacSHA256(key=secret, data=timestamp + "\\n" + secret)); the URL carries it url-encoded."""
    mac = hmac.HMAC(DINGTALK_SECRET.encode("utf-8"), digestmod="sha256")
    mac.update((timestamp + "\n" + DINGTALK_SECRET).encode("utf-8"))
    return base64.standard_b64encode(mac.digest()).decode("ascii")


def expected_feishu_sign(timestamp: str) -> str:
    """飞书: Base64(HmacSHA256(key=timestamp + "\\n" + secret, data=empty))."""
    mac = hmac.HMAC((timestamp + "\n" + FEISHU_SECRET).encode("utf-8"), digestmod="sha256")
    return base64.standard_b64encode(mac.digest()).decode("ascii")


def expected_webhook_sign(timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.HMAC(WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body, "sha256").hexdigest()


class Robots:
    def __init__(self):
        self.requests = []  # (kind, path, query, headers, body bytes, parsed json or None, answer)
        self.failures = {}  # kind → list of queued failures: an HTTP status or "hang"
        self.feishu_legacy = False  # answer {"StatusCode": 0} like older 飞书 endpoints
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server = None

    # -- set-up used by tests
    @property
    def base(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, kind, *, token=None):
        if kind == "wecom":
            return f"{self.base}/cgi-bin/webhook/send?key={token or WECOM_KEY}"
        if kind == "dingtalk":
            return f"{self.base}/robot/send?access_token={token or DINGTALK_TOKEN}"
        if kind == "feishu":
            return f"{self.base}/open-apis/bot/v2/hook/{token or FEISHU_HOOK}"
        return f"{self.base}/hooks/stockbook"

    def fail(self, kind, *answers):
        with self.lock:
            self.failures.setdefault(kind, []).extend(answers)

    def of(self, kind):
        return [r for r in self.requests if r["kind"] == kind]

    # -- checks, one per platform; each returns (HTTP status, answer dict or None)
    def wecom(self, path, query, headers, body, data):
        if query.get("key") != [WECOM_KEY]:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        if not isinstance(data, dict) or data.get("msgtype") != "markdown" or set(data) != {"msgtype", "markdown"}:
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        content = (data.get("markdown") or {}).get("content")
        if not isinstance(content, str) or not content or len(content.encode()) > 4096:
            return 200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def dingtalk(self, path, query, headers, body, data):
        token = (query.get("access_token") or [""])[0]
        if token not in (DINGTALK_TOKEN, DINGTALK_PLAIN_TOKEN):
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if token == DINGTALK_TOKEN:  # this robot has 加签 turned on
            ts, sign = (query.get("timestamp") or [""])[0], (query.get("sign") or [""])[0]
            if not ts.isdigit() or abs(int(time.time() * 1000) - int(ts)) > ONE_HOUR_MS:
                return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}
            if not hmac.compare_digest(sign, expected_dingtalk_sign(ts)):
                return 200, {"errcode": 310000, "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"}
        md = data.get("markdown") if isinstance(data, dict) else None
        if data.get("msgtype") != "markdown" or not isinstance(md, dict) or not md.get("title") or not md.get("text"):
            return 200, {"errcode": 40035, "errmsg": "缺少参数 markdown"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def feishu(self, path, query, headers, body, data):
        if path.rsplit("/", 1)[-1] != FEISHU_HOOK:
            return 200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}}
        if not isinstance(data, dict):
            return 400, {"code": 9499, "msg": "Bad Request", "data": {}}
        ts, sign = data.get("timestamp"), data.get("sign")
        if not isinstance(ts, str) or not ts.isdigit() or abs(time.time() - int(ts)) > 3600 \
                or not isinstance(sign, str) or not hmac.compare_digest(sign, expected_feishu_sign(ts)):
            return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time",
                         "data": {}}
        if data.get("msg_type") != "post":
            return 200, {"code": 19002, "msg": "params error, msg_type need", "data": {}}
        post = ((data.get("content") or {}).get("post") or {}).get("zh_cn") or {}
        rows = post.get("content")
        if not post.get("title") or not isinstance(rows, list) or not all(
                isinstance(row, list) and all(isinstance(el, dict) and el.get("tag") in ("text", "a", "at", "img")
                                              for el in row) for row in rows):
            return 200, {"code": 9499, "msg": "Bad Request", "data": {}}
        if self.feishu_legacy:
            return 200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"}
        return 200, {"code": 0, "msg": "success", "data": {}}

    def webhook(self, path, query, headers, body, data):
        ts = headers.get("X-Stockbook-Timestamp", "")
        sig = headers.get("X-Stockbook-Signature", "")
        if not ts.isdigit() or not hmac.compare_digest(sig, expected_webhook_sign(ts, body)):
            return 401, {"error": "bad signature"}
        if not isinstance(data, dict) or not {"event", "title", "body", "link", "payload"} <= set(data):
            return 422, {"error": "bad body"}
        return 204, None


def _kind(path):
    if path == "/cgi-bin/webhook/send":
        return "wecom"
    if path == "/robot/send":
        return "dingtalk"
    if path.startswith("/open-apis/bot/v2/hook/"):
        return "feishu"
    if path == "/hooks/stockbook":
        return "webhook"
    return None


def make_handler(robots: Robots):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status, data):
            raw = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
            self.send_response(status)
            if raw:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if raw:
                self.wfile.write(raw)

        def do_POST(self):
            parts = urllib.parse.urlsplit(self.path)
            # keep_blank_values off and '+' → ' ': exactly how a server reads an un-encoded signature wrongly
            query = urllib.parse.parse_qs(parts.query)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = _kind(parts.path)
            try:
                data = json.loads(body.decode("utf-8"))
            except ValueError:
                data = None
            rec = {"kind": kind, "path": parts.path, "query": query, "raw_query": parts.query,
                   "headers": dict(self.headers), "body": body, "json": data}
            with robots.lock:
                robots.requests.append(rec)
                queued = robots.failures.get(kind) or []
                forced = queued.pop(0) if queued else None
            if forced == "hang":
                robots.release.wait(10)
                rec["answer"] = "hang"
                return
            if forced is not None:
                rec["answer"] = forced
                self._answer(forced, {"errcode": -1, "errmsg": "system busy"})
                return
            if kind is None:
                status, answer = 404, {"error": "no such robot"}
            elif self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                status, answer = 415, {"error": "json only"}
            else:
                status, answer = getattr(robots, kind)(parts.path, query, self.headers, body, data or {})
            rec["answer"] = answer
            self._answer(status, answer)

    return Handler


def start():
    robots = Robots()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(robots))
    server.daemon_threads = True
    server.block_on_close = False
    robots.server = server
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return robots


def stop(robots):
    robots.release.set()
    robots.server.shutdown()
    robots.server.server_close()
