"""催款: overdue customers (past payment_terms, default 30 days) and reminders through stockbook.notify."""
from datetime import date

import pytest
from django.test import Client

from tests.roles import role_user

from .conftest import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(arap):
    """As of 03-31. C01 (terms 45): SI1 01-10 113.00 (80 days, late), SI2 03-01 226.00 (30 days, not late).
    C02 (no terms → 30): SI3 02-28 11.30 (31 days, late) and SI4 03-01 (30 days, not late).
    A9 (terms 10): SI5 03-01 113.00 paid by an unallocated receipt → not dunned."""
    from stockbook.masterdata.models import Customer

    arap.post({"type": "customer", "code": "A9", "name": "客户甲"})
    Customer.objects.filter(code="C01").update(payment_terms=45)
    Customer.objects.filter(code="A9").update(payment_terms=10)
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.sale("SI2", "2026-03-01", "200.00")
    arap.sale("SI3", "2026-02-28", "10.00", customer="C02")
    arap.sale("SI4", "2026-03-01", "10.00", customer="C02")
    arap.sale("SI5", "2026-03-01", "100.00", customer="A9")
    arap.receive("RC1", "2026-03-02", "113.00", customer="A9")
    return arap


def test_overdue_rows(late):
    assert report("dunning", as_of=date(2026, 3, 31)) == {"report": "dunning", "as_of": "2026-03-31", "rows": [
        {"customer": "C01", "name": "客户一", "terms": 45, "invoices": 1, "oldest_days": 80, "overdue": "113.00"},
        {"customer": "C02", "name": "客户二", "terms": 30, "invoices": 1, "oldest_days": 31, "overdue": "11.30"}]}
    assert report("dunning", as_of=date(2026, 3, 30))["rows"][1:] == []  # SI3 is 30 days old: not yet


def test_reminders_through_notify(late):
    from stockbook.notify.models import Notification

    fin, wh = role_user("fin", "财务"), role_user("wh", "仓库")
    web = Client()
    web.force_login(fin)
    page = web.get("/arap/dunning/?as_of=2026-03-31").content.decode()
    assert "催款清单" in page and "113.00" in page and "发送催款提醒" in page
    r = web.post("/arap/dunning/", {"as_of": "2026-03-31"})
    assert r.status_code == 302
    notes = Notification.objects.filter(event="arap.dunning", user=fin).order_by("title")
    assert [n.title for n in notes] == ["催款提醒：C01 客户一 逾期 113.00 元", "催款提醒：C02 客户二 逾期 11.30 元"]
    assert "SI1" in notes[0].body and "/arap/aging/ar/items/" in notes[0].link
    assert not Notification.objects.filter(user=wh).exists()
    # 销售 sees the list but may not send (doc_cash)
    sales = Client()
    sales.force_login(role_user("sales", "销售"))
    assert "发送催款提醒" not in sales.get("/arap/dunning/?as_of=2026-03-31").content.decode()
    assert sales.post("/arap/dunning/", {"as_of": "2026-03-31"}).status_code == 403
    # 仓库 does not see it
    c = Client()
    c.force_login(wh)
    assert c.get("/arap/dunning/?as_of=2026-03-31").status_code == 403
