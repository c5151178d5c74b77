"""The sales pages: list/filter, new order (draft and confirm), detail with the flow buttons, deliver with
posted quantities, invoice, receipt, print/PDF, quotations, reservations, price rules, JSON endpoints,
and refusals (403 without the right, errors shown on the form, nothing written)."""
import pytest
from django.test import Client

from stockbook.sales.models import PriceRule, Quotation, SalesOrder
from tests.roles import role_user

from .conftest import counts


@pytest.fixture
def boss(shop):
    from django.contrib.auth.models import User

    c = Client()
    c.force_login(User.objects.create_superuser("boss", password="pw-secret-2"))
    return c


def _new(c, follow=False, **extra):
    data = {"customer": "C01", "warehouse": "WH1", "date": "2026-01-10", "order_discount": "",
            "item": ["A001", "B002", ""], "qty": ["10", "2", ""], "uom": ["", "", ""], "list_price": ["20", "9", ""],
            "discount_pct": ["", "", ""], "tax_rate": ["", "", ""], **extra}
    return c.post("/sales/orders/new/", data, follow=follow)


def test_order_pages_flow(boss):
    r = _new(boss, confirm="1")
    assert r.status_code == 302
    o = SalesOrder.objects.get()
    assert o.status == SalesOrder.CONFIRMED
    r = boss.get(f"/sales/orders/{o.no}/")
    assert r.status_code == 200 and "按订单发货" in r.content.decode() and "关闭订单" in r.content.decode()
    assert o.no in boss.get("/sales/orders/?status=open&q=XSDD").content.decode()
    assert o.no not in boss.get("/sales/orders/?status=draft").content.decode()
    r = boss.get(f"/sales/orders/{o.no}/deliver/")
    assert r.status_code == 200 and 'value="10"' in r.content.decode()
    r = boss.post(f"/sales/orders/{o.no}/deliver/", {"date": "2026-01-11", "ref": "D1", "order_line": ["1", "2"], "qty": ["4", "0"]})
    assert r.status_code == 302, r.content.decode()[:2000]
    o.refresh_from_db()
    assert o.status == SalesOrder.PARTIAL
    before = counts()
    r = boss.post(f"/sales/orders/{o.no}/deliver/", {"date": "2026-01-11", "ref": "D2", "order_line": ["1", "2"], "qty": ["7", "0"]})
    assert r.status_code == 200 and 'data-code="invalid_value"' in r.content.decode()
    assert counts() == before
    r = boss.get(f"/sales/orders/{o.no}/invoice/")
    assert r.status_code == 200 and "D1" in r.content.decode()
    r = boss.post(f"/sales/orders/{o.no}/invoice/", {"date": "2026-01-12", "ref": "I1", "pick": ["D1:1"]})
    assert r.status_code == 302
    r = boss.get(f"/sales/orders/{o.no}/receipt/")
    assert r.status_code == 200 and "I1" in r.content.decode()
    r = boss.post(f"/sales/orders/{o.no}/receipt/", {"date": "2026-01-13", "ref": "RC1", "amount": "30.00", "account": "1002"})
    assert r.status_code == 302
    page = boss.get(f"/sales/orders/{o.no}/").content.decode()
    assert "D1" in page and "I1" in page and "RC1" in page
    assert boss.get(f"/sales/orders/{o.no}/print/").status_code == 200
    assert boss.get("/sales/reservations/").status_code == 200 and o.no in boss.get("/sales/reservations/").content.decode()
    r = boss.post(f"/sales/orders/{o.no}/do/close/")
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.status == SalesOrder.CLOSED
    r = boss.post(f"/sales/orders/{o.no}/do/close/", follow=True)
    assert "invalid_status" in r.content.decode()


def test_order_form_errors_write_nothing(boss):
    before = counts()
    r = _new(boss, item=["ZZZ", "", ""])
    assert r.status_code == 200 and 'data-code="unknown_item"' in r.content.decode()
    r = _new(boss, qty=["abc", "2", ""])
    assert 'data-code="invalid_value"' in r.content.decode()
    assert SalesOrder.objects.count() == 0 and counts() == before
    # confirm refused → kept as a draft with the reason
    r = _new(boss, qty=["1000", "2", ""], confirm="1", follow=True)
    o = SalesOrder.objects.get()
    assert o.status == SalesOrder.DRAFT and "insufficient_available" in r.content.decode()
    assert boss.get("/sales/orders/XSDD-NOPE/").status_code == 404


def test_pdf(boss):
    _new(boss)
    o = SalesOrder.objects.get()
    r = boss.get(f"/sales/orders/{o.no}/print/?format=pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"


def test_quotation_pages(boss):
    r = boss.post("/sales/quotations/new/", {"customer": "C01", "warehouse": "WH1", "date": "2026-01-05", "valid_until": "2099-01-01",
                                              "item": ["A001"], "qty": ["3"], "uom": [""], "list_price": ["12"], "discount_pct": [""], "tax_rate": [""]})
    assert r.status_code == 302
    q = Quotation.objects.get()
    assert boss.get(f"/sales/quotations/{q.no}/").status_code == 200
    assert q.no in boss.get("/sales/quotations/").content.decode()
    boss.post(f"/sales/quotations/{q.no}/do/send/")
    r = boss.post(f"/sales/quotations/{q.no}/do/convert/")
    assert r.status_code == 302
    o = SalesOrder.objects.get()
    assert o.quotation_id == q.pk and r["Location"].endswith(f"/sales/orders/{o.no}/")


def test_prices_and_json(boss):
    r = boss.post("/sales/prices/", {"item": "A001", "customer": "", "min_qty": "10", "unit_price": "18.5"})
    assert r.status_code == 302 and PriceRule.objects.count() == 1
    r = boss.post("/sales/prices/", {"item": "A001", "customer": "", "min_qty": "10", "unit_price": "-1"})
    assert r.status_code == 200 and "invalid_value" in r.content.decode() and PriceRule.objects.count() == 1
    assert boss.get("/sales/api/price?item=A001&qty=12&date=2026-01-10").json()["unit_price"] == "18.5"
    assert boss.get("/sales/api/availability?warehouse=WH1&items=A001").json()["items"]["A001"]["available"] == "100"
    assert boss.get("/sales/api/availability?warehouse=NOPE&items=A001").status_code == 422
    assert "销售订单" in boss.get("/sales/prices/").content.decode()


def test_rights(shop):
    c = Client()
    c.force_login(role_user("keeper", "仓库"))
    assert c.get("/sales/orders/new/").status_code == 403
    assert c.post("/sales/prices/", {"item": "A001", "unit_price": "1"}).status_code == 403
    c2 = Client()
    c2.force_login(role_user("seller", "销售"))
    assert c2.get("/sales/orders/").status_code == 200
    assert c2.get("/sales/orders/new/").status_code == 200
    assert Client().get("/sales/orders/").status_code == 302  # login


def test_override_request_from_the_order_page(shop):
    """C01's limit is 100,000.00; 100 kg × 1,000.00 + 13 % = 113,000.00 is over it: the page shows the
    exposure, the seller asks for an override, the finance chief sees the request and approves it."""
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import approve

    seller, chief = role_user("seller", "销售"), role_user("chief", "财务主管")
    c = Client()
    c.force_login(seller)
    r = _new(c, item=["A001", "", ""], qty=["100", "", ""], list_price=["1000", "", ""], confirm="1", follow=True)
    page = r.content.decode()
    assert "credit_limit_exceeded" in page and "申请超信用额度审批" in page
    assert "113,000.00" in page or "113000.00" in page
    o = SalesOrder.objects.get()
    r = c.post(f"/sales/orders/{o.no}/do/override/", {"reason": "老客户"}, follow=True)
    assert "已提交超信用额度审批" in r.content.decode()
    req = ApprovalRequest.objects.get(kind=ApprovalRequest.KIND_CREDIT)
    c2 = Client()
    c2.force_login(chief)
    r = c2.get(f"/approvals/{req.pk}/")
    assert r.status_code == 200 and o.no in r.content.decode()
    approve(req, chief, "pw-role-1")
    o.refresh_from_db()
    assert o.status == SalesOrder.CONFIRMED and o.override_amount == 11_300_000
    assert "批准敞口" in c.get(f"/sales/orders/{o.no}/").content.decode()


def test_deliver_page_shows_fefo_batches(boss, post_json):
    """A001 batch-managed: L1 expires 2099-12-31 (20 kg), L2 2099-06-30 (20 kg) — an order of 30 kg picks L2 20 then L1 10."""
    from stockbook.batches.models import ItemPolicy
    from stockbook.masterdata.models import Item

    ItemPolicy.objects.create(item=Item.objects.get(code="A001"), batch_managed=True)
    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-02", "supplier": "S01", "warehouse": "WH2",
               "lines": [{"item": "A001", "qty": "20", "unit_price": "10", "batch": "L1", "expiry": "2099-12-31"},
                         {"item": "A001", "qty": "20", "unit_price": "10", "batch": "L2", "expiry": "2099-06-30"}]})
    _new(boss, warehouse="WH2", item=["A001", "", ""], qty=["30", "", ""], list_price=["20", "", ""], confirm="1")
    o = SalesOrder.objects.get()
    assert o.status == SalesOrder.CONFIRMED
    page = boss.get(f"/sales/orders/{o.no}/deliver/").content.decode()
    assert "L2 20；L1 10" in page
