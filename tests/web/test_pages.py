"""Every page renders for a logged-in user with data; master data forms go through post()."""
from decimal import Decimal

import pytest

from stockbook.ledger.models import Account, Voucher
from stockbook.masterdata.models import Barcode, Customer, Item, Warehouse
from stockbook.posting.models import Document


def test_pages_render(web, books):
    v = Voucher.objects.get(kind="normal")
    item = Item.objects.get(code="A001")
    acc = Account.objects.get(code="560201")
    urls = [
        "/", "/company/", "/items/", "/items/new/", f"/items/{item.pk}/", "/warehouses/", "/warehouses/new/",
        "/suppliers/", "/suppliers/new/", "/customers/", "/customers/new/", "/accounts/", "/accounts/new/?parent=5602",
        f"/accounts/{acc.pk}/", "/vouchers/", "/vouchers/?period=2026-01&account=1001&q=办公", "/vouchers/new/",
        f"/vouchers/{v.pk}/", f"/vouchers/{v.pk}/print/", f"/documents/{v.document_id}/",
        "/reports/trial-balance/", "/reports/trial-balance/?from=2026-01-01&to=2026-01-31&level=1",
        "/reports/general-ledger/?account=1001&from=2026-01-01&to=2026-01-31",
        "/reports/detail-ledger/?account=1001&from=2026-01-01&to=2026-01-31", "/periods/",
    ]
    for url in urls:
        r = web.get(url)
        assert r.status_code == 200, (url, r.status_code)
        assert "<html" in r.content.decode()


def test_dashboard(web, books):
    html = web.get("/").content.decode()
    assert "示例商贸有限公司" in html
    assert "2026-01" in html  # the current open period
    assert "记-2026-01-0001" in html


def test_empty_book_pages(web):
    for url in ["/", "/company/", "/items/", "/accounts/", "/vouchers/", "/vouchers/new/", "/reports/trial-balance/", "/periods/"]:
        assert web.get(url).status_code == 200, url


def test_create_company_through_form(web):
    r = web.post("/company/", {"code": "ACME", "name": "示例", "chart": "small_enterprise",
                               "costing_method": "fifo", "start_period": "2026-01"})
    assert r.status_code == 302
    assert Account.objects.filter(code="1405").exists()
    html = web.get("/company/").content.decode()
    assert "先进先出法" in html and "2026-01" in html


ITEM = {"code": "B002", "name": "铝板", "uom": "kg", "units": "t=1000, 卷=250", "tax_rate": "0.13", "account": "1405",
        "category": "金属", "barcodes": "6901234567890 6901234567891", "safety_min": "10", "safety_max": "100",
        "costing_method": "fifo", "spec": "1.2mm"}


def test_create_item_via_form(web, company):
    r = web.post("/items/new/", ITEM)
    assert r.status_code == 302, r.content.decode()[:2000]
    it = Item.objects.get(code="B002")
    assert it.category.name == "金属" and it.spec == "1.2mm" and it.costing_method == "fifo"
    assert {u.name: u.factor for u in it.units.all()} == {"t": Decimal("1000"), "卷": Decimal("250")}
    assert set(it.barcodes.values_list("code", flat=True)) == {"6901234567890", "6901234567891"}
    assert it.safety_min == 100000 and it.safety_max == 1000000
    assert Document.objects.filter(identity="item:B002", source="web").exists()
    assert "B002" in web.get("/items/?q=铝").content.decode()


def test_duplicate_item_code_shows_error_and_writes_nothing(web, company):
    docs, items, codes = Document.objects.count(), Item.objects.count(), Barcode.objects.count()
    r = web.post("/items/new/", {**ITEM, "code": "A001"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "编码 A001 已存在且内容不同" in html
    assert 'class="field has-error' in html
    assert (Document.objects.count(), Item.objects.count(), Barcode.objects.count()) == (docs, items, codes)


def test_item_bad_tax_rate_on_field(web, company):
    r = web.post("/items/new/", {**ITEM, "tax_rate": "13"})
    assert r.status_code == 200
    assert "税率" in r.content.decode()
    assert not Item.objects.filter(code="B002").exists()


def test_edit_item_keeps_code(web, company):
    it = Item.objects.get(code="A001")
    r = web.post(f"/items/{it.pk}/", {"code": "HACK", "name": "铜线 新", "spec": "BV2.5", "safety_min": "5",
                                      "safety_max": "50", "barcodes": "123", "active": "on", "tax_rate": "0.09"})
    assert r.status_code == 302, r.content.decode()[:3000]
    it.refresh_from_db()
    assert it.code == "A001" and it.name == "铜线 新" and it.spec == "BV2.5" and it.safety_min == 50000
    assert str(it.tax_rate) == "0.0900"
    assert list(it.barcodes.values_list("code", flat=True)) == ["123"]


def test_warehouse_supplier_customer_forms(web, company):
    assert web.post("/warehouses/new/", {"code": "WH2", "name": "苏州分仓", "region": "华东"}).status_code == 302
    assert Warehouse.objects.get(code="WH2").region.name == "华东"
    assert web.post("/suppliers/new/", {"code": "S02", "name": "供应商二", "payment_terms": "30"}).status_code == 302
    r = web.post("/customers/new/", {"code": "C02", "name": "客户二", "credit_limit": "5000.00", "phone": "021-1234"})
    assert r.status_code == 302
    assert Customer.objects.get(code="C02").credit_limit == 500000
    r = web.post("/customers/new/", {"code": "C03", "name": "客户三", "credit_limit": "5000.001"})
    assert r.status_code == 200 and not Customer.objects.filter(code="C03").exists()
    c = Customer.objects.get(code="C02")
    r = web.post(f"/customers/{c.pk}/", {"name": "客户二（改）", "credit_limit": "", "contact": "王经理", "active": "on"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.name == "客户二（改）" and c.credit_limit is None and c.contact == "王经理"


def test_disable_enable_and_delete(web, books):
    wh = Warehouse.objects.get(code="WH1")
    web.post(f"/warehouses/{wh.pk}/toggle/", follow=True)  # follow: the message is shown once
    wh.refresh_from_db()
    assert not wh.active
    assert "WH1" not in web.get("/warehouses/?status=active").content.decode()
    assert "WH1" in web.get("/warehouses/?status=disabled").content.decode()
    web.post(f"/warehouses/{wh.pk}/toggle/")
    wh.refresh_from_db()
    assert wh.active
    r = web.post(f"/warehouses/{wh.pk}/delete/", follow=True)
    assert "已删除" in r.content.decode()
    assert not Warehouse.objects.filter(code="WH1").exists()


def test_delete_referenced_account_disables(web, books):
    acc = Account.objects.get(code="560201")
    r = web.post(f"/accounts/{acc.pk}/delete/", follow=True)
    assert "已改为停用" in r.content.decode()
    acc.refresh_from_db()
    assert not acc.active


def test_add_sub_account(web, company):
    r = web.get("/accounts/new/?parent=5602")
    assert 'value="560201"' in r.content.decode()
    r = web.post("/accounts/new/", {"parent": "5602", "code": "560201", "name": "管理费用-办公费"})
    assert r.status_code == 302
    a = Account.objects.get(code="560201")
    assert a.parent.code == "5602" and a.level == 2
    r = web.post("/accounts/new/", {"parent": "5602", "code": "56029", "name": "坏编码"})
    assert r.status_code == 200 and "两位数字" in r.content.decode()
    r = web.post("/accounts/new/", {"parent": "9999", "code": "999901", "name": "x"})
    assert r.status_code == 200 and "上级科目 9999 不存在" in r.content.decode()
    html = web.get("/accounts/").content.decode()
    assert "indent-2" in html and "560201" in html


@pytest.mark.parametrize("kind", ["items", "warehouses", "suppliers", "customers"])
def test_master_list_paging(web, company, post_json, kind):
    typ = kind[:-1]
    for i in range(55):
        doc = {"type": typ, "code": f"Z{i:03d}", "name": f"名称{i}"}
        if typ == "item":
            doc["uom"] = "个"
        post_json(doc)
    html = web.get(f"/{kind}/").content.decode()
    assert "下一页" in html
    assert "Z054" in web.get(f"/{kind}/?page=2").content.decode()


def test_the_current_page_is_marked_in_the_navigation(web, company):
    html = web.get("/documents/").content.decode()
    assert '<a href="/documents/" class="active" aria-current="page">' in html
    assert 'class=&quot;' not in html
