"""Business document forms: every type renders and posts through post(); a rejected document shows its
error on the offending grid line or header field and writes nothing; the JSON helpers of the forms;
the document list and the document page (lines, moves, vouchers, related documents)."""
import re

import pytest

from stockbook.ledger.models import Voucher
from stockbook.masterdata.models import Barcode, Item
from stockbook.posting.models import Document
from stockbook.stock.models import StockMove
from stockbook.web.doctypes import DOC_TYPES

RECEIPT = {"date": "2026-01-05", "ref": "CGRK-20260105-001", "supplier": "S01", "warehouse": "WH1",
           "item": ["A001", "", "A001"], "uom": ["kg", "", "t"], "qty": ["10", "", "0.01"], "unit_price": ["52.00", "", "52000"]}


def _counts():
    return Document.objects.count(), StockMove.objects.count(), Voucher.objects.count()


@pytest.fixture
def stocked(company, post_json):
    """100 kg A001 at WH1 (5,000.00) and a second warehouse."""
    post_json({"type": "warehouse", "code": "WH2", "name": "分仓"})
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "5000.00"}]})
    return company


@pytest.mark.parametrize("typ", list(DOC_TYPES))
def test_every_form_renders(web, stocked, typ):
    r = web.get(f"/documents/new/{typ}/?date=2026-01-20")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="doc-form"' in html and 'id="doc-config"' in html
    assert f'value="{DOC_TYPES[typ].prefix}-20260120-001"' in html  # the suggested ref
    assert ('id="scan"' in html) == DOC_TYPES[typ].barcode


def test_new_document_menu(web, stocked):
    html = web.get("/documents/new/").content.decode()
    for typ in DOC_TYPES:
        assert f"/documents/new/{typ}/" in html
    assert "采购入库" in html and "收款单" in html
    assert "/documents/new/sales_delivery/" in web.get("/documents/").content.decode()
    assert web.get("/documents/new/journal/").status_code == 404


def test_post_receipt_through_form(web, stocked):
    r = web.post("/documents/new/purchase_receipt/", RECEIPT)
    doc = Document.objects.get(type="purchase_receipt", ref="CGRK-20260105-001")
    assert r.status_code == 302 and r["Location"] == f"/documents/{doc.pk}/"
    assert doc.source == "web" and doc.created_by.username == "clerk"
    lines = list(doc.lines.order_by("line_no"))
    assert [(ln.line_no, ln.uom, ln.qty_base, ln.amount) for ln in lines] == [(1, "kg", 100000, 52000), (2, "t", 100000, 52000)]
    moves = list(StockMove.objects.filter(document=doc).order_by("line"))
    assert [(m.code, m.qty, m.value) for m in moves] == [(101, 100000, 52000), (101, 100000, 52000)]
    v = Voucher.objects.get(document=doc)
    assert v.debit_total == 104000
    html = web.get(r["Location"]).content.decode()
    assert "CGRK-20260105-001" in html and v.display_number in html and f"/vouchers/{v.pk}/" in html
    assert "采购入库" in html  # move code name
    assert "= 10 kg" in html  # 0.01 t shown in its base unit too
    assert "1,040.00" in html


def test_delivery_over_stock_shows_error_on_line(web, stocked):
    before = _counts()
    r = web.post("/documents/new/sales_delivery/", {
        "date": "2026-01-10", "ref": "XSCK-1", "customer": "C01", "warehouse": "WH1",
        "item": ["A001", "", "A001"], "uom": ["kg", "", "kg"], "qty": ["10", "", "95"], "unit_price": ["80", "", "80"]})
    assert r.status_code == 200
    assert _counts() == before  # nothing written
    html = r.content.decode()
    assert "库存不足" in html or "不足" in html
    # the third grid row (second document line) carries the error
    rows = re.findall(r'<tr class="dline( line-error)?">', html.split('id="row-template"')[0])
    assert rows == ["", "", " line-error"]
    assert 'role="alert">' in html.split('line-error">')[1].split("</tr>")[0]
    assert 'value="XSCK-1"' in html and 'value="95"' in html  # the form keeps what was typed


def test_unknown_unit_shows_error_on_line(web, stocked):
    before = _counts()
    r = web.post("/documents/new/purchase_receipt/", {**RECEIPT, "uom": ["kg", "", "箱"]})
    assert r.status_code == 200 and _counts() == before
    html = r.content.decode()
    row = html.split('<tr class="dline line-error">')[1].split("</tr>")[0]
    assert "没有计量单位 箱" in row


def test_header_error_on_field(web, stocked):
    r = web.post("/documents/new/purchase_receipt/", {**RECEIPT, "supplier": "NOPE"})
    html = r.content.decode()
    assert r.status_code == 200 and not Document.objects.filter(type="purchase_receipt").exists()
    assert "供应商 NOPE 不存在" in html.split('id="h-supplier"')[1].split("</div>")[1] + html.split('id="h-supplier"')[1][:2000]


def test_duplicate_ref_shown_on_ref(web, stocked):
    web.post("/documents/new/purchase_receipt/", RECEIPT)
    r = web.post("/documents/new/purchase_receipt/", {**RECEIPT, "qty": ["11", "", "0.01"]})
    assert r.status_code == 200
    assert "has-error" in r.content.decode().split('id="d-ref"')[0].rsplit('<div class="field', 1)[1]


def test_empty_grid(web, stocked):
    r = web.post("/documents/new/scrap/", {"date": "2026-01-10", "ref": "BS-1", "warehouse": "WH1", "item": [""], "qty": [""]})
    assert r.status_code == 200 and "至少" in r.content.decode()


def test_full_flow_through_forms(web, stocked):
    """Receipt → invoice → return → delivery → sales invoice → sales return → transfer → count → settlement →
    scrap → receipt and payment with allocations, each through its form."""
    def ok(typ, data):
        r = web.post(f"/documents/new/{typ}/", data)
        assert r.status_code == 302, (typ, re.findall(r'role="alert">([^<]*)|<li>([^<]*)</li>', r.content.decode()))
        return Document.objects.get(pk=int(r["Location"].strip("/").split("/")[-1]))

    ok("purchase_receipt", RECEIPT)
    inv = ok("purchase_invoice", {"date": "2026-01-06", "ref": "CGFP-1", "supplier": "S01", "src_ref": ["CGRK-20260105-001"],
                                  "src_line": ["1"], "item": ["A001"], "uom": ["kg"], "qty": ["5"], "unit_price": ["52"], "tax_rate": [""]})
    assert inv.lines.get().tax == 3380  # the item's 13 %
    ok("purchase_return", {"date": "2026-01-07", "ref": "CGTH-1", "receipt": "CGRK-20260105-001",
                           "src_line": ["1", "2"], "item": ["A001", "A001"], "uom": ["kg", "t"], "qty": ["2", ""]})
    d = ok("sales_delivery", {"date": "2026-01-08", "ref": "XSCK-1", "customer": "C01", "warehouse": "WH1",
                              "item": ["A001"], "uom": ["kg"], "qty": ["20"], "unit_price": ["80"]})
    ok("sales_invoice", {"date": "2026-01-09", "ref": "XSFP-1", "customer": "C01", "src_ref": ["XSCK-1"], "src_line": ["1"],
                         "item": ["A001"], "uom": ["kg"], "qty": ["15"], "unit_price": ["80"], "tax_rate": ["0.13"]})
    ok("sales_return", {"date": "2026-01-10", "ref": "XSTH-1", "delivery": "XSCK-1", "src_line": ["1"], "item": ["A001"],
                        "uom": ["kg"], "qty": ["5"]})
    ok("transfer", {"date": "2026-01-11", "ref": "DB-1", "from": "WH1", "to": "WH2", "item": ["A001"], "uom": ["kg"], "qty": ["10"]})
    count = ok("stock_count", {"date": "2026-01-12", "ref": "PD-1", "warehouse": "WH2", "item": ["A001"], "uom": ["kg"],
                               "counted_qty": ["9"], "unit_cost": [""]})
    assert StockMove.objects.get(document=count).code == 204
    ok("count_settlement", {"date": "2026-01-13", "ref": "PDCL-1", "count": "PD-1"})
    ok("scrap", {"date": "2026-01-14", "ref": "BS-1", "warehouse": "WH1", "reason": "破损", "item": ["A001"], "uom": ["kg"], "qty": ["1"]})
    rec = ok("customer_receipt", {"date": "2026-01-15", "ref": "SK-1", "customer": "C01", "account": "1002", "amount": "1,000.00",
                                  "invoice": ["XSFP-1"], "alloc_amount": ["800"]})
    assert rec.amount == 100000 and rec.lines.get().amount == 80000
    ok("supplier_payment", {"date": "2026-01-16", "ref": "FK-1", "supplier": "S01", "account": "1002", "amount": "100"})
    # the delivery's page links to its invoice and return, and shows its cost
    html = web.get(f"/documents/{d.pk}/").content.decode()
    assert "XSFP-1" in html and "XSTH-1" in html and "成本" in html
    # the invoice page links back to the receipt
    assert "CGRK-20260105-001" in web.get(f"/documents/{inv.pk}/").content.decode()


def test_allocation_over_open_amount_on_line(web, stocked):
    web.post("/documents/new/sales_delivery/", {"date": "2026-01-08", "ref": "XSCK-1", "customer": "C01", "warehouse": "WH1",
                                                "item": ["A001"], "uom": ["kg"], "qty": ["10"], "unit_price": ["100"]})
    web.post("/documents/new/sales_invoice/", {"date": "2026-01-09", "ref": "XSFP-1", "customer": "C01", "src_ref": ["XSCK-1"],
                                               "src_line": ["1"], "item": ["A001"], "uom": ["kg"], "qty": ["10"], "unit_price": ["100"]})
    before = _counts()
    r = web.post("/documents/new/customer_receipt/", {"date": "2026-01-15", "ref": "SK-1", "customer": "C01", "account": "1002",
                                                       "amount": "5000", "invoice": ["XSFP-1"], "alloc_amount": ["1130.01"]})
    assert r.status_code == 200 and _counts() == before
    row = r.content.decode().split('<tr class="dline line-error">')[1].split("</tr>")[0]
    assert "超过发票 XSFP-1 未核销金额 1130.00" in row


# -- JSON helpers -------------------------------------------------------------------------------------------
def test_item_search_and_barcode(web, stocked):
    item = Item.objects.get(code="A001")
    Barcode.objects.create(item=item, code="6901234567890", unit="t")
    j = web.get("/stock/items/search?q=铜").json()
    assert j["items"][0]["code"] == "A001"
    assert j["items"][0]["units"] == [{"name": "kg", "factor": "1"}, {"name": "t", "factor": "1000"}]
    assert j["items"][0]["tax_rate"] == "0.13"
    assert web.get("/stock/items/search?q=69012345").json()["items"][0]["code"] == "A001"
    assert web.get("/stock/items/search?q=zzz").json() == {"items": []}
    j = web.get("/stock/items/barcode?code=6901234567890").json()
    assert j["item"]["code"] == "A001" and j["unit"] == "t"
    assert web.get("/stock/items/barcode?code=A001").json()["unit"] == "kg"  # an item code scans too
    r = web.get("/stock/items/barcode?code=000")
    assert r.status_code == 404 and "未知条码" in r.json()["error"]


def test_availability(web, stocked, post_json):
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-20", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "30", "unit_price": "80"}]})
    j = web.get("/stock/availability?warehouse=WH1&date=2026-01-10&items=A001").json()
    assert j["items"]["A001"] == {"qty": "100", "available": "70", "uom": "kg", "reserved": "0", "free": "100"}  # a later delivery takes 30; no reservation
    assert web.get("/stock/availability?warehouse=WH1&date=2026-01-31&items=A001").json()["items"]["A001"]["qty"] == "70"
    assert web.get("/stock/availability?warehouse=WH2&date=2026-01-31&items=A001").json()["items"]["A001"]["qty"] == "0"
    assert web.get("/stock/availability?warehouse=NOPE&items=A001").status_code == 404


def test_ref_lines_and_open_documents(web, stocked, post_json):
    web.post("/documents/new/purchase_receipt/", RECEIPT)
    post_json({"type": "purchase_invoice", "ref": "F1", "date": "2026-01-06", "supplier": "S01",
               "lines": [{"receipt": "CGRK-20260105-001", "line": 1, "qty": "4", "unit_price": "52"}]})
    j = web.get("/stock/ref-lines?type=purchase_receipt&ref=CGRK-20260105-001").json()
    assert j["document"]["party"] == "S01" and j["document"]["warehouse"] == "WH1"
    l1, l2 = j["lines"]
    assert (l1["remaining"], l1["uom"], l1["unit_price"]) == ("6", "kg", "52.00")
    assert (l2["remaining"], l2["uom"], l2["remaining_base"]) == ("0.01", "t", "10")
    assert web.get("/stock/ref-lines?type=purchase_receipt&ref=NOPE").status_code == 404
    docs = web.get("/stock/open-documents?type=purchase_receipt&party=S01").json()["documents"]
    assert [d["ref"] for d in docs] == ["CGRK-20260105-001"]
    post_json({"type": "purchase_invoice", "ref": "F2", "date": "2026-01-06", "supplier": "S01",
               "lines": [{"receipt": "CGRK-20260105-001", "line": 1, "qty": "6", "unit_price": "52"},
                         {"receipt": "CGRK-20260105-001", "line": 2, "qty": "10", "unit_price": "52"}]})
    assert web.get("/stock/open-documents?type=purchase_receipt&party=S01").json()["documents"] == []


def test_open_invoices(web, stocked, post_json):
    web.post("/documents/new/purchase_receipt/", RECEIPT)
    post_json({"type": "purchase_invoice", "ref": "F1", "date": "2026-01-06", "supplier": "S01",
               "lines": [{"receipt": "CGRK-20260105-001", "line": 1, "qty": "10", "unit_price": "52"}]})
    j = web.get("/stock/open-invoices?type=purchase_invoice&party=S01").json()
    assert j["invoices"] == [{"ref": "F1", "date": "2026-01-06", "gross": "587.60", "allocated": "0.00", "open": "587.60"}]
    post_json({"type": "supplier_payment", "ref": "P1", "date": "2026-01-07", "supplier": "S01", "account": "1002",
               "amount": "500.00", "allocations": [{"invoice": "F1", "amount": "500.00"}]})
    assert web.get("/stock/open-invoices?type=purchase_invoice&party=S01").json()["invoices"][0]["open"] == "87.60"
    from stockbook.posting.void import void_document

    void_document(Document.objects.get(type="supplier_payment", ref="P1").pk, reason="错录")  # a voided payment allocates nothing
    assert web.get("/stock/open-invoices?type=purchase_invoice&party=S01").json()["invoices"][0]["open"] == "587.60"
    assert web.get("/stock/open-invoices?type=purchase_invoice&party=NOPE").status_code == 404


def test_next_ref(web, stocked):
    assert web.get("/stock/next-ref?type=transfer&date=2026-01-05").json() == {"ref": "DB-20260105-001"}
    web.post("/documents/new/purchase_receipt/", RECEIPT)
    assert web.get("/stock/next-ref?type=purchase_receipt&date=2026-01-05").json() == {"ref": "CGRK-20260105-002"}


def test_endpoints_need_login(client, stocked):
    assert client.get("/stock/items/search?q=A").status_code == 302


# -- list and document page -------------------------------------------------------------------------------------
def test_document_list_filters(web, stocked, post_json):
    web.post("/documents/new/purchase_receipt/", RECEIPT)
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-20", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "30", "unit_price": "80"}]})
    html = web.get("/documents/").content.decode()
    assert "CGRK-20260105-001" in html and "D1" in html and "1,040.00" in html and "2,400.00" in html
    html = web.get("/documents/?type=sales_delivery").content.decode()
    assert "CGRK-20260105-001" not in html and ">D1<" in html
    assert ">D1<" not in web.get("/documents/?party=S01").content.decode()
    assert ">D1<" in web.get("/documents/?party=客户").content.decode()
    assert "CGRK-20260105-001" not in web.get("/documents/?from=2026-01-10&to=2026-01-31").content.decode()
    assert ">D1<" not in web.get("/documents/?q=CGRK").content.decode()
    assert ">D1<" not in web.get("/documents/?warehouse=WH2").content.decode()
    assert ">D1<" not in web.get("/documents/?status=draft").content.decode()


def test_document_list_paginates(web, stocked, post_json):
    for n in range(55):
        post_json({"type": "purchase_receipt", "ref": f"R{n:03d}", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
                   "lines": [{"item": "A001", "qty": "1", "unit_price": "1"}]})
    html = web.get("/documents/?type=purchase_receipt").content.decode()
    assert "page=2" in html and html.count('href="/documents/') >= 50
    assert "R000" in web.get("/documents/?type=purchase_receipt&page=2").content.decode()


def test_document_page_pending_and_adjustments(web, post_json):
    """Monthly average: a delivery's move shows pending until the close; the close's voucher, which costs the
    delivery line, is listed on the delivery's page."""
    from tests.conftest import COMPANY

    post_json({**COMPANY, "costing_method": "monthly_average"})
    post_json({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post_json({"type": "item", "code": "A001", "name": "铜线", "uom": "kg", "tax_rate": "0.13"})
    post_json({"type": "customer", "code": "C01", "name": "客户一"})
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "10", "amount": "100.00"}]})
    d = post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-20", "customer": "C01", "warehouse": "WH1",
                   "lines": [{"item": "A001", "qty": "3", "unit_price": "80"}]}).document
    html = web.get(f"/documents/{d.pk}/").content.decode()
    assert "待结转" in html
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    html = web.get(f"/documents/{d.pk}/").content.decode()
    close_v = Voucher.objects.get(document__type="period_close")
    assert close_v.display_number in html and "30.00" in html
