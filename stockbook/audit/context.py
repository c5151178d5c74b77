"""The request being served, so that ``record()`` called deep inside ``post()`` or a signal knows the user
and IP without every caller passing them."""
import contextvars

_request: contextvars.ContextVar = contextvars.ContextVar("stockbook_audit_request", default=None)


def current_request():
    return _request.get()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def client_ip(request) -> str:
    if request is None:
        return ""
    try:  # the same address django-axes locks out (it knows the proxy settings)
        from axes.helpers import get_client_ip_address

        ip = get_client_ip_address(request)
    except Exception:
        ip = None
    return (ip or request.META.get("REMOTE_ADDR") or "")[:45]
