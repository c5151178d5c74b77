"""已预留 / 可用量 on the stock-balance page and the availability JSON; the contract JSON keeps its shape."""
import json

from tests.invctl.test_reports import book  # noqa: F401  (fixture)


def test_stock_balance_page_and_availability(book, client, monkeypatch):  # noqa: F811
    from stockbook.invctl import reports
    from stockbook.masterdata.models import Item, Warehouse
    from tests.roles import role_user

    a, wh = Item.objects.get(code="A001"), Warehouse.objects.get(code="WH1")
    monkeypatch.setattr(reports, "reserved_map", lambda *x, **k: {(a.pk, wh.pk): 120000})  # 12 kg reserved
    client.force_login(role_user("fin", "财务"))
    r = client.get("/reports/stock/stock-balance/?as_of=2026-06-30")
    html = r.content.decode()
    assert r.status_code == 200 and "已预留" in html and "可用量" in html and ">18<" in html  # 30 − 12
    r = client.get("/reports/stock/stock-balance/export/json/?as_of=2026-06-30")
    rows = json.loads(r.content)["rows"]
    assert set(rows[0]) == {"item", "warehouse", "qty", "value", "pending"}
    r = client.get("/stock/availability?warehouse=WH1&date=2026-06-30&items=A001,B002").json()
    assert r["items"]["A001"] == {"qty": "30", "available": "30", "uom": "kg", "reserved": "12", "free": "18"}
    assert r["items"]["B002"]["reserved"] == "0"


def test_without_sales_module_reserved_is_zero(book, monkeypatch):  # noqa: F811
    import sys

    from stockbook.invctl.reports import reserved_map

    monkeypatch.setitem(sys.modules, "stockbook.sales.availability", None)  # import fails
    assert reserved_map() == {}
