"""Property-based run of the whole API from its own OpenAPI schema (schemathesis): no request, however odd,
gets a 5xx, for an authenticated integration (token) and for an anonymous client (always 401)."""
import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.conftest import COMPANY  # noqa: E402


def _schema():
    from stockbook.interchange.api import api  # Django is set up by pytest-django before collection

    return schemathesis.openapi.from_dict(api.get_openapi_schema())


schema = _schema()


@pytest.fixture
def wsgi_app(db):
    """Django's WSGI handler, with the per-request connection closing that the test client also switches off
    (it would close the test's transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def booked(db, wsgi_app, post_json):
    post_json(dict(COMPANY))
    post_json({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post_json({"type": "item", "code": "A001", "name": "铜线", "uom": "kg", "units": {"t": "1000"}, "tax_rate": "0.13"})
    post_json({"type": "customer", "code": "C01", "name": "客户一", "credit_limit": "100000.00"})
    post_json({"type": "journal", "ref": "J1", "date": "2026-01-05",
               "lines": [{"account": "1001", "debit": "1.00"}, {"account": "1002", "credit": "1.00"}]})


FUZZ = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_no_server_error_with_token(case, wsgi_app, booked, token):
    resp = case.call(app=wsgi_app, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code < 500, (case.method, case.formatted_path, case.query, case.body, resp.text[:500])
    if resp.status_code >= 400 and resp.headers.get("Content-Type", [""])[0].startswith("application/json"):
        body = resp.json()
        assert "error" in body and "message" in body, body


@schema.parametrize()
@settings(FUZZ, max_examples=5)
def test_anonymous_always_401(case, wsgi_app):
    resp = case.call(app=wsgi_app)
    assert resp.status_code < 500
    if resp.status_code not in (404, 405):  # an unknown path or method is refused before authentication
        assert resp.status_code == 401, (case.method, case.formatted_path, resp.status_code)
