"""REST API (django-ninja) under /api/.

- Authentication: the browser's session (with CSRF on writes) or ``Authorization: Bearer sb_…`` API tokens
  (``stockbook token USER``). Every data endpoint needs one; anonymous requests get 401 JSON.
- Errors: ``{"error": code, "message": ...}`` with the contract's codes (section 6), see api_common.
- Writes honour an ``Idempotency-Key`` header.
- OpenAPI at /api/openapi.json, Swagger UI at /api/docs served from local files (works offline).
"""
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from stockbook.core.errors import DocError

from .api_common import doc_error_response, error_response
from .api_docs import OfflineSwagger, docs_router


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sb_…``: an active ApiToken of an active user."""

    def authenticate(self, request, token):
        from stockbook.users.models import ApiToken, hash_token

        if not token or not token.startswith("sb_") or len(token) > 200:
            return None
        tok = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token), active=True).first()
        if tok is None or not tok.user.is_active:
            return None
        now = timezone.now()
        if tok.last_used is None or (now - tok.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=tok.pk).update(last_used=now)
        request.user = tok.user
        request.api_token = tok
        return tok.user


class SessionCsrfAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods need the CSRF token (X-CSRFToken header).

    Unlike ninja's SessionAuth the CSRF check runs only for a logged-in session, so an anonymous
    request is a clean 401 rather than a CSRF 403."""

    param_name = "sessionid"

    def __init__(self):
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def _get_key(self, request):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and check_csrf(request):
            raise HttpError(403, "CSRF 校验失败：请在请求头 X-CSRFToken 中携带 csrftoken")
        return user


api = NinjaAPI(
    title="Stockbook API",
    version="1",
    description=(
        "Stockbook 进销存财务一体化 REST API. Documents use the interchange contract format "
        "(POST /api/documents); reports return the contract's JSON shapes. Errors are "
        '`{"error": code, "message": ...}`. Authenticate with the browser session (CSRF header on writes) '
        "or `Authorization: Bearer sb_…` (`stockbook token USER`). Writes accept an `Idempotency-Key` header."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionCsrfAuth()],
    docs=OfflineSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response("not_allowed", "需要登录或 API 令牌（Authorization: Bearer sb_…）", 401,
                          headers={"WWW-Authenticate": 'Bearer realm="stockbook"'})


@api.exception_handler(HttpError)
def _http_error(request, exc):
    code = {401: "not_allowed", 403: "not_allowed", 404: "unknown_reference"}.get(exc.status_code, "invalid_value")
    return error_response(code, str(exc), exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response("unknown_reference", str(exc) or "不存在", 404)


@api.exception_handler(ValidationError)
def _validation_error(request, exc):
    parts = []
    field = None
    for e in exc.errors[:5]:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body", "header")]
        if loc and field is None:
            field = ".".join(loc)
        parts.append(f"{'.'.join(loc) or '?'}: {e.get('msg', '')}")
    return error_response("invalid_value", "参数不正确：" + "; ".join(parts), 422, field=field)


@api.exception_handler(DocError)
def _doc_error(request, exc):
    return doc_error_response(exc)


from .api_documents import router as documents_router  # noqa: E402
from .api_ledger import router as ledger_router  # noqa: E402
from .api_master import router as master_router  # noqa: E402

api.add_router("", documents_router)
api.add_router("", master_router)
api.add_router("", ledger_router)
api.add_router("", docs_router)
from stockbook.external.api import router as external_router  # noqa: E402  外部对账
api.add_router("", external_router)
from stockbook.cases.api import router as cases_router  # noqa: E402  差异工单、结账检查
api.add_router("", cases_router)
api.add_router("", "stockbook.purchasing.api.router")  # 采购：订单、收货、质检、三单匹配、补货建议
api.add_router("", "stockbook.batches.api.router")  # 批次与效期、追溯、效期预警
api.add_router("", "stockbook.invctl.api.router")  # 库存控制：安全库存、呆滞、ABC、周转
api.add_router("", "stockbook.sales.api.router")  # 销售：报价、订单、预留、发货、开票、收款
api.add_router("", "stockbook.posting.api.router")  # 公司设置：暂估处理方式（单到补差 / 月初回冲）

fallback_router = Router()


@fallback_router.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False)
def _no_such_endpoint(request, rest: str):
    """Anything else under /api/ is a JSON 404, not Django's HTML page (registered last)."""
    return error_response("unknown_reference", f"没有这个接口：{request.method} {request.path[:200]}", 404)


api.add_router("", fallback_router)
