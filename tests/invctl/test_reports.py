"""库存控制 reports on a small hand-worked book (moving average, WH1):

opening 2025-12-31: A001 100 kg for 1000.00 (10/kg), B002 10 pcs for 500.00 (50/pc), C003 20 pcs for 200.00 (10/pc).
January: deliveries A001 70 kg (cost 700.00), B002 4 pcs (200.00), C003 10 pcs (100.00); issue cost 1000.00.
May: B002 1 pc (50.00).

ABC over January (A 80 / B 15): A001 700 (70 %), B002 200 (cum 90 %), C003 100 (cum 100 %). The class
follows the cumulative share before the item: A001 0 → A, B002 70 < 80 → A, C003 90 < 95 → B.
Turnover January, 31 days: A001 average (1000 + 300) / 2 = 650.00, 650 × 31 / 700 = 28.8 days (1.08 times);
WH1 (1700 + 700) / 2 = 1200.00, 1200 × 31 / 1000 = 37.2 days.
Dead stock at 2026-08-31, 6 months (since 2026-02-28): A001 (last issue 2026-01-10, 233 days, 30 kg, 300.00)
and C003 (2026-01-10, 10 pcs, 100.00); B002 issued in May is not dead.
"""
from datetime import date
from decimal import Decimal

import pytest

from stockbook.core.errors import DocError
from tests.stock.helpers import delivery, setup_company


@pytest.fixture
def book(post_json):
    setup_company(post_json)
    post_json({"type": "item", "code": "C003", "name": "胶带", "uom": "pcs", "tax_rate": "0.13"})
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [
        {"item": "A001", "qty": "100", "amount": "1000.00"}, {"item": "B002", "qty": "10", "amount": "500.00"},
        {"item": "C003", "qty": "20", "amount": "200.00"}]})
    post_json(delivery("D1", "2026-01-10", "WH1", [("A001", "70", "20.00"), ("B002", "4", "80.00"), ("C003", "10", "15.00")]))
    post_json(delivery("D2", "2026-05-01", "WH1", [("B002", "1", "80.00")]))
    return post_json


def test_abc(book):
    from stockbook.invctl.reports import abc

    rep = abc(None, date(2026, 1, 1), date(2026, 1, 31))
    got = [(r["item"], r["issue_value"], r["share"], r["cumulative"], r["class"]) for r in rep.data["rows"]]
    assert got == [("A001", "700.00", "70.00", "70.00", "A"), ("B002", "200.00", "20.00", "90.00", "A"),
                   ("C003", "100.00", "10.00", "100.00", "B")]
    assert rep.data["total_value"] == "1000.00" and rep.data["counts"] == {"A": 2, "B": 1, "C": 0}
    rep = abc(None, date(2026, 1, 1), date(2026, 1, 31), a=60, b=30)
    assert [r["class"] for r in rep.data["rows"]] == ["A", "B", "C"]
    with pytest.raises(DocError) as e:
        abc(None, date(2026, 1, 1), date(2026, 1, 31), a=90, b=20)
    assert e.value.code == "invalid_value"
    with pytest.raises(DocError):
        abc(None, date(2026, 2, 1), date(2026, 1, 31))


def test_turnover(book):
    from stockbook.invctl.reports import turnover

    rows = {r["item"]: r for r in turnover(None, date(2026, 1, 1), date(2026, 1, 31)).data["rows"]}
    a = rows["A001"]
    assert (a["opening_value"], a["closing_value"], a["avg_value"], a["issue_cost"], a["turnover_days"], a["turnover_times"]) == \
        ("1000.00", "300.00", "650.00", "700.00", "28.8", "1.08")
    wh = turnover(None, date(2026, 1, 1), date(2026, 1, 31), group="warehouse").data["rows"]
    assert [(r["warehouse"], r["avg_value"], r["turnover_days"]) for r in wh] == [("WH1", "1200.00", "37.2")]
    cat = turnover(None, date(2026, 1, 1), date(2026, 1, 31), group="category").data["rows"]
    assert [(r["category"], r["turnover_days"]) for r in cat] == [("（未分类）", "37.2")]
    # no issues in March: no turnover days (not a division by zero)
    mar = {r["item"]: r for r in turnover(None, date(2026, 3, 1), date(2026, 3, 31)).data["rows"]}
    assert mar["A001"]["turnover_days"] is None and mar["A001"]["avg_value"] == "300.00"
    with pytest.raises(DocError):
        turnover(None, date(2026, 1, 1), date(2026, 1, 31), group="region")


def test_dead(book):
    from stockbook.invctl.reports import dead

    rep = dead(None, as_of=date(2026, 8, 31))
    assert rep.data["since"] == "2026-02-28"
    got = [(r["item"], r["warehouse"], r["qty"], r["value"], r["last_issue"], r["idle_days"]) for r in rep.data["rows"]]
    assert got == [("A001", "WH1", "30", "300.00", "2026-01-10", 233), ("C003", "WH1", "10", "100.00", "2026-01-10", 233)]
    assert rep.data["total_value"] == "400.00"
    # 3 months back from 2026-08-31 = 2026-05-31: B002's May issue is older than that too
    assert [r["item"] for r in dead(None, as_of=date(2026, 8, 31), months=3).data["rows"]] == ["A001", "B002", "C003"]
    with pytest.raises(DocError):
        dead(None, months=0)


def test_safety(book, monkeypatch):
    from stockbook.invctl import reports
    from stockbook.masterdata.models import Item, Warehouse

    Item.objects.filter(code="A001").update(safety_min=500000)  # 50 kg
    Item.objects.filter(code="B002").update(safety_max=30000)  # 3 pcs
    Item.objects.filter(code="C003").update(safety_min=50000, safety_max=200000)  # 5..20: 10 on hand
    rows = reports.safety(None).data["rows"]
    got = [(r["item"], r["warehouse"], r["available"], r["status"], r["gap"]) for r in rows]
    assert got == [("A001", "WH1", "30", "below", "20"), ("B002", "WH1", "5", "above", "2"),
                   ("A001", "（合计）", "30", "below", "20"), ("B002", "（合计）", "5", "above", "2")]
    c, wh = Item.objects.get(code="C003"), Warehouse.objects.get(code="WH1")
    monkeypatch.setattr(reports, "reserved_map", lambda *a, **k: {(c.pk, wh.pk): 60000})  # 6 reserved: 4 available
    rows = reports.safety(None).data["rows"]
    assert ("C003", "WH1", "10", "6", "4", "below", "1") in [
        (r["item"], r["warehouse"], r["on_hand"], r["reserved"], r["available"], r["status"], r["gap"]) for r in rows]


def test_access_no_cost_and_scope(book):
    from stockbook.invctl.reports import abc, dead
    from tests.roles import role_user

    keeper = role_user("keeper", "仓库")  # view_stock_reports without view_cost
    rep = dead(keeper, as_of=date(2026, 8, 31))
    assert rep.data["rows"] and all("value" not in r for r in rep.data["rows"]) and "total_value" not in rep.data
    assert "value" not in [c.key for c in rep.columns]
    rep = abc(keeper, date(2026, 1, 1), date(2026, 1, 31))
    assert [r["class"] for r in rep.data["rows"]] == ["A", "A", "B"] and "issue_value" not in rep.data["rows"][0]
    sales = role_user("seller", "销售")
    with pytest.raises(DocError) as e:
        dead(sales, warehouse="NOPE")
    assert e.value.code == "unknown_warehouse"
    from django.contrib.auth.models import User

    nobody = User.objects.create_user("nobody", password="x")
    with pytest.raises(DocError) as e:
        dead(nobody)
    assert e.value.code == "not_allowed"


def test_cli_and_rest(book, client, capsys):
    from stockbook.cli import main

    assert main(["invctl", "abc", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert [r["class"] for r in out["rows"]] == ["A", "A", "B"]
    assert main(["invctl", "abc", "--from", "2026-13-01", "--to", "2026-01-31"]) == 2
    from tests.roles import role_user

    client.force_login(role_user("boss", "财务"))
    r = client.get("/api/invctl/turnover?from=2026-01-01&to=2026-01-31&group=warehouse")
    assert r.status_code == 200 and r.json()["rows"][0]["turnover_days"] == "37.2"
    r = client.get("/api/invctl/abc?from=2026-02-01&to=2026-01-31")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    for name in ("safety", "dead", "abc", "turnover"):
        assert client.get(f"/invctl/{name}/?from=2026-01-01&to=2026-01-31").status_code == 200
    r = client.get("/invctl/abc/export.xlsx?from=2026-01-01&to=2026-01-31")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = client.get("/invctl/dead/export.csv?as_of=2026-08-31")
    assert "A001" in r.content.decode("utf-8-sig")
