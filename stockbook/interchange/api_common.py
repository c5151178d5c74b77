"""Shared pieces of the REST API: JSON responses, error bodies, raw-body parsing and idempotency keys.

Errors always have the shape ``{"error": code, "message": ...}`` (plus ``field``/``line`` when known), with
the contract's codes (section 6): 422 for a rejected request, 404 ``unknown_reference`` for a missing
resource, 401/403 ``not_allowed`` for authentication and permissions.
"""
import hashlib
import json

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError, transaction
from django.http import HttpResponse

from stockbook.core.errors import DocError
from stockbook.core.jsonio import loads

JSON_CT = "application/json; charset=utf-8"
MAX_DEPTH = 32  # no interchange document nests deeper than a few levels
MAX_KEY_LEN = 200
IDEMPOTENCY_PARAM = {"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": MAX_KEY_LEN},
                     "description": "Replays the first successful response for the same key and request"}


def json_response(data, status=200, headers=None) -> HttpResponse:
    resp = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=JSON_CT)
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


def error_response(code: str, message: str, status=422, *, field=None, line=None, headers=None) -> HttpResponse:
    body = {"error": code, "message": message}
    if field:
        body["field"] = field
    if line is not None:
        body["line"] = line
    return json_response(body, status, headers)


def doc_error_response(e: DocError, status=None) -> HttpResponse:
    if status is None:
        status = 403 if e.code == "not_allowed" else 422
    return error_response(e.code, e.message, status, field=e.field, line=e.line)


def not_found(message: str) -> HttpResponse:
    return error_response("unknown_reference", message, 404)


def check_text(*values):
    """Path and query strings: no NUL characters (PostgreSQL refuses them), bounded length."""
    for v in values:
        if isinstance(v, str) and ("\x00" in v or len(v) > 500):
            raise DocError("invalid_value", "参数包含非法字符或过长")


def _check_value(v):
    """Walk a parsed JSON value without recursion: bounded nesting, and strings (keys too) that a database
    can store: no lone surrogates (``"\\ud800"``) and no NUL characters."""
    stack = [(v, 1)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, (dict, list)):
            if d > MAX_DEPTH:
                raise DocError("invalid_value", "JSON 嵌套层次过深")
            if isinstance(x, dict):
                stack.extend((k, d) for k in x.keys())
                stack.extend((y, d + 1) for y in x.values())
            else:
                stack.extend((y, d + 1) for y in x)
        elif isinstance(x, str):
            if "\x00" in x:
                raise DocError("invalid_value", "字符串中不能含有 NUL 字符")
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                raise DocError("invalid_value", "字符串中含有无效的 Unicode 代理字符")


def read_json_body(request, *, want_object=True):
    """The request body parsed without floats (fractional numbers become JFloat, rejected later).

    Raises DocError(invalid_value) for an empty, non-UTF-8, non-JSON or absurdly nested body."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise DocError("invalid_value", "请求体过大")
    if not raw or not raw.strip():
        raise DocError("invalid_value", "请求体为空：需要一个 JSON 对象")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DocError("invalid_value", "请求体不是 UTF-8 编码")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        obj = loads(text)
    except (ValueError, RecursionError) as e:  # NotJSON, and ints beyond Python's digit limit
        raise DocError("invalid_value", f"请求体不是有效的 JSON：{str(e)[:200]}")
    _check_value(obj)
    if want_object and not isinstance(obj, dict):
        raise DocError("invalid_value", "请求体必须是一个 JSON 对象")
    return obj


def run_write(fn):
    """Run a write; DocError → 422, out-of-range numbers the database refuses → 422 invalid_value."""
    try:
        return fn()
    except DocError as e:
        return doc_error_response(e)
    except (OverflowError, DataError) as e:
        return error_response("invalid_value", f"数值超出范围：{str(e)[:200]}")


class _Conflict(Exception):
    pass


def idempotent(request, fn) -> HttpResponse:
    """Honour an ``Idempotency-Key`` header around a write ``fn() -> HttpResponse``."""
    from .models import IdempotencyKey

    key = request.headers.get("Idempotency-Key")
    if key is None:
        return fn()
    if not key or len(key) > MAX_KEY_LEN or not key.isascii() or not key.isprintable():
        return error_response("invalid_value", f"Idempotency-Key 必须是 1–{MAX_KEY_LEN} 个可打印 ASCII 字符", field="Idempotency-Key")
    try:
        body = request.body
    except RequestDataTooBig:
        return error_response("invalid_value", "请求体过大")
    path = request.path[:500]
    h = hashlib.sha256()
    for part in (request.method.encode(), path.encode(), body):
        h.update(hashlib.sha256(part).digest())
    fp = h.hexdigest()
    user = request.auth if getattr(request.auth, "pk", None) else None

    def replay(rec):
        if rec.fingerprint != fp:
            return error_response("invalid_value", "同一个 Idempotency-Key 已用于另一个请求", field="Idempotency-Key")
        resp = HttpResponse(rec.body, status=rec.status_code, content_type=rec.content_type)
        resp["Idempotent-Replayed"] = "true"
        return resp

    rec = IdempotencyKey.objects.filter(user=user, key=key).first()
    if rec is not None:
        return replay(rec)
    try:
        with transaction.atomic():
            resp = fn()
            if 200 <= resp.status_code < 300:
                try:
                    with transaction.atomic():
                        IdempotencyKey.objects.create(
                            user=user, key=key, fingerprint=fp, method=request.method, path=path,
                            status_code=resp.status_code, content_type=resp.get("Content-Type", JSON_CT),
                            body=resp.content.decode("utf-8"),
                        )
                except IntegrityError:  # a concurrent request with the same key finished first
                    raise _Conflict
    except _Conflict:
        return replay(IdempotencyKey.objects.get(user=user, key=key))
    return resp
