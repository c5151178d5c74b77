import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("STOCKBOOK_FAST_HASHER", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
if not SHARED.exists():
    SHARED = Path(os.environ.get("STOCKBOOK_SHARED", "/work/shared"))


@pytest.fixture(scope="session", autouse=True)
def _end_stray_sessions(django_db_setup, django_db_blocker):
    """PostgreSQL will not drop a database someone is connected to. A test thread that ended without closing its
    Django connection (the concurrency tests start many) can leave one open, and pytest-django's teardown then
    only warns and leaves test_<name> on the server. Before that teardown, every other session on this worker's
    test database is ended."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")


@pytest.fixture
def books(db):
    from stockbook.posting.books import Books

    return Books()


@pytest.fixture
def user(db):
    """A clerk with the 系统管理员 role: every right, not a superuser."""
    from django.contrib.auth.models import User

    from stockbook.access.roles import ensure_roles

    u = User.objects.create_user("clerk", password="s3cret-pass!", is_staff=True)
    u.groups.add(*[g for g in ensure_roles() if g.name == "系统管理员"])
    return u


@pytest.fixture
def web(client, user):
    """A test client logged in as that clerk (Chinese UI, the default)."""
    client.force_login(user)
    return client


@pytest.fixture
def post_json(db):
    """post(JSON text or dict) → PostResult, through the one post() path."""
    from stockbook.core.jsonio import loads
    from stockbook.posting.service import post

    def _post(doc, **kw):
        if isinstance(doc, str):
            doc = loads(doc)
        return post(doc, **kw)

    return _post


COMPANY = {"type": "company", "code": "ACME", "name": "示例商贸有限公司", "chart": "small_enterprise",
           "costing_method": "moving_average", "start_period": "2026-01", "currency": "CNY"}


@pytest.fixture
def company(post_json):
    post_json(dict(COMPANY))
    post_json({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post_json({"type": "item", "code": "A001", "name": "铜线", "uom": "kg", "units": {"t": "1000"}, "tax_rate": "0.13", "account": "1405"})
    post_json({"type": "supplier", "code": "S01", "name": "供应商一"})
    post_json({"type": "customer", "code": "C01", "name": "客户一", "credit_limit": "100000.00"})
    from stockbook.masterdata.models import Company

    return Company.current()


def jl(*objs) -> str:
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in objs) + "\n"
