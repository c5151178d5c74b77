"""A small realistic book for the dashboard: two warehouses in two regions (华东 E1, 华北 N1), two
categories, receipts from two suppliers, a delivery — and a manual journal on 1405 at E1 that makes the only
stock difference (500.00, cause manual_journal)."""
import pytest

AS_OF = "2026-01-31"
PERIOD = "2026-01"


def post_world(post_json):
    post_json({"type": "warehouse", "code": "E1", "name": "华东仓", "region": "华东"})
    post_json({"type": "warehouse", "code": "N1", "name": "华北仓", "region": "华北"})
    post_json({"type": "item", "code": "CU01", "name": "电解铜", "uom": "kg", "account": "1405", "category": "铜材", "tax_rate": "0.13"})
    post_json({"type": "item", "code": "CB01", "name": "电缆 3×4", "uom": "m", "account": "1405", "category": "电缆", "tax_rate": "0.13"})
    post_json({"type": "supplier", "code": "S02", "name": "江南铜业"})
    post_json({"type": "purchase_receipt", "ref": "RK-E1-01", "date": "2026-01-05", "supplier": "S01", "warehouse": "E1",
               "lines": [{"item": "CU01", "qty": "100", "unit_price": "60.00"}, {"item": "CB01", "qty": "200", "unit_price": "8.50"}]})
    post_json({"type": "purchase_receipt", "ref": "RK-N1-01", "date": "2026-01-06", "supplier": "S02", "warehouse": "N1",
               "lines": [{"item": "CU01", "qty": "40", "unit_price": "61.00"}, {"item": "CB01", "qty": "50", "unit_price": "8.00"}]})
    post_json({"type": "sales_delivery", "ref": "CK-E1-01", "date": "2026-01-12", "customer": "C01", "warehouse": "E1",
               "lines": [{"item": "CU01", "qty": "30", "unit_price": "80.00"}]})
    post_json({"type": "journal", "ref": "JZ-1405", "date": "2026-01-20", "memo": "手工调整存货",
               "lines": [{"account": "1405", "debit": "500.00", "warehouse": "E1", "item": "CU01"}, {"account": "1001", "credit": "500.00"}]})


@pytest.fixture
def world(company, post_json, monkeypatch):
    post_world(post_json)
    from stockbook.dashboard import data

    # tests post and read back at once: no reuse of a version read a moment ago (production: 0.5 s)
    monkeypatch.setattr(data, "VERSION_TTL", 0)
    data.clear_memo()
    return company


@pytest.fixture
def users(world):
    """One user per interesting role; the regional manager's scope is 华东."""
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Region
    from tests.roles import role_user

    out = {"admin": role_user("dash_admin", "系统管理员", "pw-dash-1"), "chief": role_user("dash_chief", "财务主管", "pw-dash-1"),
           "east": role_user("dash_east", "区域经理", "pw-dash-1"), "wh": role_user("dash_wh", "仓库", "pw-dash-1"),
           "sales": role_user("dash_sales", "销售", "pw-dash-1")}
    Scope.objects.create(user=out["east"]).regions.add(Region.objects.get(name="华东"))
    return out


@pytest.fixture(scope="module")
def live_server(request, django_db_setup):
    """pytest-django's live server, answering one request at a time when the test database is SQLite in
    memory: that database is one connection shared with the server's threads, and the dashboard's parallel
    fetches would otherwise open transactions on it at the same time. (PostgreSQL: the usual threaded
    server.)"""
    from django.core.servers.basehttp import WSGIServer
    from django.db import connection
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    class SerialServer(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    old = LiveServerThread.server_class
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        LiveServerThread.server_class = SerialServer
    try:
        server = LiveServer("localhost")
    finally:
        LiveServerThread.server_class = old
    yield server
    server.stop()
