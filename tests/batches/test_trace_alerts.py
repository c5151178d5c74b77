"""Trace of a batch, expiry alerts (once per batch per state), CLI, REST and pages."""
import json
from datetime import date

import pytest

from tests.batches.conftest import dlv, rcv


@pytest.fixture
def traced(bco):
    bco({"type": "customer", "code": "C02", "name": "客户二"})
    bco(rcv("R1", "2026-01-05", "WH1", [("A001", "10", "5.00", "L1", "2026-03-31")]))
    bco(rcv("R2", "2026-01-05", "WH1", [("A001", "10", "5.00", "L2", "2026-12-31")], supplier="S02"))
    bco({"type": "transfer", "ref": "T1", "date": "2026-01-06", "from": "WH1", "to": "WH2",
         "lines": [{"item": "A001", "qty": "4", "batch": "L1"}]})
    bco(dlv("D1", "2026-01-07", "WH2", [("A001", "3", "9.00", "L1")], customer="C02"))
    bco({"type": "sales_return", "ref": "SR1", "date": "2026-01-08", "delivery": "D1", "lines": [{"line": 1, "qty": "1"}]})
    return bco


def test_trace(traced):
    from stockbook.batches.queries import trace

    t = trace("A001", "L1")
    assert (t["supplier"], t["expiry"], t["first_receipt"]) == ("S01", "2026-03-31", "R1")
    assert [(m["ref"], m["warehouse"], m["qty"]) for m in t["receipts"]] == [("R1", "WH1", "10")]
    assert [(m["ref"], m["warehouse"], m["qty"]) for m in t["transfers"]] == [("T1", "WH1", "-4"), ("T1", "WH2", "4")]
    assert [(m["ref"], m["party"], m["qty"], m["date"]) for m in t["deliveries"]] == [("D1", "C02", "-3", "2026-01-07")]
    assert [(m["ref"], m["qty"]) for m in t["returns"]] == [("SR1", "1")]
    assert t["balances"] == [{"warehouse": "WH1", "qty": "6"}, {"warehouse": "WH2", "qty": "2"}]
    from stockbook.core.errors import DocError

    with pytest.raises(DocError) as e:
        trace("A001", "NOPE")
    assert e.value.code == "unknown_batch"


def test_alerts_and_notify_once(traced):
    from stockbook.batches.models import ExpiryNotice
    from stockbook.batches.queries import alerts, notify_expiry
    from stockbook.notify.models import Notification
    from tests.roles import role_user

    role_user("keeper", "仓库")
    rows = alerts(None, today=date(2026, 3, 10))  # L1 expires 03-31: 21 days, within 30
    assert [(r["batch"], r["warehouse"], r["state"], r["days_left"], r["qty"]) for r in rows] == [
        ("L1", "WH1", "near", 21, "6"), ("L1", "WH2", "near", 21, "2")]
    assert alerts(None, today=date(2026, 3, 10), days=10) == []
    assert [r["warehouse"] for r in alerts(None, today=date(2026, 3, 10), warehouse="WH2")] == ["WH2"]
    assert notify_expiry(date(2026, 3, 10)) == {"sent": 1, "near": 1, "expired": 0}
    assert notify_expiry(date(2026, 3, 11)) == {"sent": 0, "near": 0, "expired": 0}  # once per batch per state
    assert Notification.objects.filter(event="batch.near").count() == 1
    rows = alerts(None, today=date(2026, 4, 1))
    assert {r["state"] for r in rows} == {"expired"}
    assert notify_expiry(date(2026, 4, 1))["expired"] == 1
    assert notify_expiry(date(2026, 4, 2))["sent"] == 0
    assert ExpiryNotice.objects.count() == 2


def test_cli(traced, capsys):
    from stockbook.cli import main

    assert main(["batch", "trace", "A001", "L1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["batch"] == "L1"
    assert main(["batch", "check"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["batch", "alerts", "--today", "2026-04-01"]) == 0
    assert {r["state"] for r in json.loads(capsys.readouterr().out)} == {"expired"}
    assert main(["batch", "fefo", "A001", "WH1", "7", "--date", "2026-01-09"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"batch": "L1", "qty": "6"}, {"batch": "L2", "qty": "1"}]
    assert main(["batch", "trace", "A001", "NOPE"]) == 2
    assert json.loads(capsys.readouterr().err)["error"] == "unknown_batch"


def test_rest_and_pages(traced, client):
    from stockbook.posting.models import Document
    from tests.roles import role_user

    client.force_login(role_user("fin", "财务"))
    r = client.get("/api/batches/trace?item=A001&batch=L1")
    assert r.status_code == 200 and r.json()["balances"][0]["qty"] == "6"
    assert client.get("/api/batches/trace?item=A001&batch=ZZ").json()["error"] == "unknown_batch"
    assert client.get("/api/batches/check").json() == []
    assert client.get("/api/batches?item=A001").json()["count"] == 2
    assert client.get("/api/batches/alerts?today=2026-04-01").json()["count"] == 2
    d = Document.objects.get(ref="D1")
    assert client.get(f"/api/batches/document/{d.pk}").json()["lines"][0]["batches"][0]["batch"] == "L1"
    assert client.put("/api/batch-policies/A001", data=json.dumps({"near_expiry_days": 60}), content_type="application/json").status_code == 403
    page = client.get(f"/documents/{d.pk}/").content.decode()
    assert "批次" in page and "L1" in page
    for url in ("/batches/", "/batches/alerts/", "/batches/trace/?item=A001&batch=L1", f"/batches/document/{d.pk}/",
                "/batches/policies/", "/batches/trace/?item=A001&batch=ZZ"):
        assert client.get(url).status_code == 200, url
    admin = role_user("admin", "系统管理员")
    client.force_login(admin)
    r = client.put("/api/batch-policies/A001", data=json.dumps({"near_expiry_days": 60}), content_type="application/json")
    assert r.status_code == 200 and r.json()["near_expiry_days"] == 60
    r = client.put("/api/batch-policies/A001", data=json.dumps({"near_expiry_days": -1}), content_type="application/json")
    assert r.status_code == 422
    r = client.post("/batches/policies/B002/", {"batch_managed": "on", "near_expiry_days": "15", "shelf_life_days": "90"})
    assert r.status_code == 302
    from stockbook.batches.models import ItemPolicy

    p = ItemPolicy.objects.get(item__code="B002")
    assert p.batch_managed and not p.serial_managed and p.shelf_life_days == 90
