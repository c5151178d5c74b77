"""Prepayments (预收/预付) and their application (预收冲应收 / 预付冲应付) through the shared document form
(docs/contract-extensions.md §2): the checkbox on receipts and payments, the advance_application form with
its side, party, amount and allocations; a refused document shows its error on the field or grid line it is
about and writes nothing; the document page says what the document is."""
import json
import re

import pytest

from stockbook.ledger.models import Voucher, VoucherLine
from stockbook.posting.models import Document
from stockbook.stock.models import StockMove


def _counts():
    return Document.objects.count(), StockMove.objects.count(), Voucher.objects.count()


def _config(html):
    return json.loads(re.search(r'<script type="application/json" id="doc-config">(.*?)</script>', html, re.S).group(1))


@pytest.fixture
def invoiced(company, post_json):
    """100 kg A001; C01 invoiced XSFP-1 1,130.00 and XSFP-2 226.00; S01 invoiced CGFP-1 565.00."""
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "5000.00"}]})
    post_json({"type": "sales_delivery", "ref": "XSCK-1", "date": "2026-01-08", "customer": "C01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "12", "unit_price": "100.00"}]})
    post_json({"type": "sales_invoice", "ref": "XSFP-1", "date": "2026-01-09", "customer": "C01",
               "lines": [{"delivery": "XSCK-1", "line": 1, "qty": "10", "unit_price": "100.00"}]})
    post_json({"type": "sales_invoice", "ref": "XSFP-2", "date": "2026-01-10", "customer": "C01",
               "lines": [{"delivery": "XSCK-1", "line": 1, "qty": "2", "unit_price": "100.00"}]})
    post_json({"type": "purchase_receipt", "ref": "CGRK-1", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "50.00"}]})
    post_json({"type": "purchase_invoice", "ref": "CGFP-1", "date": "2026-01-06", "supplier": "S01",
               "lines": [{"receipt": "CGRK-1", "line": 1, "qty": "10", "unit_price": "50.00"}]})
    return company


def _ok(web, typ, data):
    r = web.post(f"/documents/new/{typ}/", data)
    assert r.status_code == 302, (typ, re.findall(r'role="alert">([^<]*)|<li>([^<]*)</li>', r.content.decode()))
    return Document.objects.get(pk=int(r["Location"].strip("/").split("/")[-1]))


def _balance(code, doc):
    return sum((ln.debit or 0) - (ln.credit or 0) for ln in VoucherLine.objects.filter(voucher__document=doc, account__code=code))


def test_forms_render_the_new_fields(web, invoiced):
    html = web.get("/documents/new/customer_receipt/?date=2026-01-20").content.decode()
    assert 'type="checkbox" id="h-prepayment" name="prepayment"' in html and "预收款" in html and "2203" in html
    assert "预付款" in web.get("/documents/new/supplier_payment/").content.decode()
    html = web.get("/documents/new/advance_application/?date=2026-01-20").content.decode()
    assert 'name="side"' in html and 'value="YSYF-20260120-001"' in html
    assert re.search(r'data-field="supplier"[^>]* hidden', html) and not re.search(r'data-field="customer"[^>]* hidden', html)
    assert _config(html)["party"] == "customer" and _config(html)["ref_type"] == "sales_invoice"
    html = web.get("/documents/new/advance_application/?side=supplier&supplier=S01").content.decode()
    assert re.search(r'data-field="customer"[^>]* hidden', html)
    assert _config(html)["party"] == "supplier" and _config(html)["ref_type"] == "purchase_invoice"
    # a party named alone picks its side; an unknown side falls back
    assert _config(web.get("/documents/new/advance_application/?supplier=S01").content.decode())["party"] == "supplier"
    assert _config(web.get("/documents/new/advance_application/?side=bogus").content.decode())["party"] == "customer"


def test_prepayment_receipt_and_payment_through_the_form(web, invoiced):
    sk = _ok(web, "customer_receipt", {"date": "2026-01-15", "ref": "SK-1", "customer": "C01", "account": "1002",
                                       "amount": "500.00", "prepayment": "1"})
    assert sk.prepayment and not sk.lines.exists() and _balance("2203", sk) == -50000
    fk = _ok(web, "supplier_payment", {"date": "2026-01-15", "ref": "FK-1", "supplier": "S01", "account": "1002",
                                       "amount": "300", "prepayment": "1"})
    assert fk.prepayment and _balance("1123", fk) == 30000
    plain = _ok(web, "customer_receipt", {"date": "2026-01-15", "ref": "SK-2", "customer": "C01", "account": "1002", "amount": "1"})
    assert not plain.prepayment  # the checkbox unticked: an ordinary receipt
    page = web.get(f"/documents/{sk.pk}/").content.decode()
    assert 'id="prepayment-flag"' in page and "2203" in page
    assert "/documents/new/advance_application/?side=customer&amp;customer=C01" in page  # apply it from here
    assert 'id="prepayment-flag"' not in web.get(f"/documents/{plain.pk}/").content.decode()
    # the form shows the open prepayment of each party
    cfg = _config(web.get("/documents/new/advance_application/").content.decode())
    assert cfg["prepayments"] == {"customer": {"C01": "500.00"}, "supplier": {"S01": "300.00"}}
    # the invoice page offers to apply it
    inv = Document.objects.get(ref="XSFP-1")
    assert "side=customer&amp;customer=C01&amp;invoice=XSFP-1" in web.get(f"/documents/{inv.pk}/").content.decode()


def test_prepayment_with_allocations_is_refused(web, invoiced):
    before = _counts()
    r = web.post("/documents/new/customer_receipt/", {"date": "2026-01-15", "ref": "SK-1", "customer": "C01", "account": "1002",
                                                       "amount": "500", "prepayment": "1", "invoice": ["XSFP-1"], "alloc_amount": ["100"]})
    html = r.content.decode()
    assert r.status_code == 200 and _counts() == before
    assert "预收/预付款不能核销发票" in html and "checked" in html.split('id="h-prepayment"')[1][:80]  # the tick is kept


def test_application_through_the_form(web, invoiced):
    _ok(web, "customer_receipt", {"date": "2026-01-15", "ref": "SK-1", "customer": "C01", "account": "1002", "amount": "2000", "prepayment": "1"})
    # both parties typed: only the side's party is sent
    app = _ok(web, "advance_application", {"date": "2026-01-20", "ref": "YSYF-1", "side": "customer", "customer": "C01 客户一",
                                           "supplier": "S01", "amount": "1,300.00",
                                           "invoice": ["XSFP-1", "", "XSFP-2"], "alloc_amount": ["1130", "", "170"]})
    assert app.customer.code == "C01" and app.supplier is None and app.amount == 130000
    assert [(ln.ref_document.ref, ln.amount) for ln in app.lines.order_by("line_no")] == [("XSFP-1", 113000), ("XSFP-2", 17000)]
    assert _balance("2203", app) == 130000 and _balance("112201", app) == -130000
    page = web.get(f"/documents/{app.pk}/").content.decode()
    assert 'id="application-side"' in page and "预收冲应收" in page and "XSFP-2" in page and "核销" in page
    # the invoices' open amounts went down; what is left of the prepayment is shown
    assert _config(web.get("/documents/new/advance_application/").content.decode())["prepayments"]["customer"] == {"C01": "700.00"}
    # an application with no allocations leaves an open credit and says so on its page
    app2 = _ok(web, "advance_application", {"date": "2026-01-21", "ref": "YSYF-2", "side": "customer", "customer": "C01", "amount": "100"})
    assert not app2.lines.exists()
    assert "未核销 100.00" in web.get(f"/documents/{app2.pk}/").content.decode()


def test_supplier_application_through_the_form(web, invoiced):
    _ok(web, "supplier_payment", {"date": "2026-01-15", "ref": "FK-1", "supplier": "S01", "account": "1002", "amount": "600", "prepayment": "1"})
    app = _ok(web, "advance_application", {"date": "2026-01-20", "ref": "YSYF-1", "side": "supplier", "customer": "",
                                           "supplier": "S01", "amount": "565", "invoice": ["CGFP-1"], "alloc_amount": ["565"]})
    assert app.supplier.code == "S01" and app.customer is None
    assert _balance("220201", app) == 56500 and _balance("1123", app) == -56500
    assert "预付冲应付" in web.get(f"/documents/{app.pk}/").content.decode()


@pytest.mark.parametrize("data, where, text", [
    # more than the open prepayment: on the amount field
    ({"amount": "2500", "invoice": ["XSFP-1"], "alloc_amount": ["100"]}, "amount", "预收款余额不足"),
    # no prepayment at all for that party: also the amount
    ({"side": "supplier", "supplier": "S01", "amount": "10"}, "amount", "预付款余额不足"),
    # an allocation over the invoice's open amount: on its line (the second grid row)
    ({"amount": "1500", "invoice": ["XSFP-2", "XSFP-1"], "alloc_amount": ["100", "1130.01"]}, "line", "超过发票 XSFP-1 未核销金额 1130.00"),
    # an invoice of another party's side: on its line
    ({"amount": "100", "invoice": ["CGFP-1"], "alloc_amount": ["100"]}, "line", "CGFP-1"),
    # allocations over the amount: shown above the form
    ({"amount": "100", "invoice": ["XSFP-1"], "alloc_amount": ["200"]}, "top", "核销合计超过"),
    # bad money
    ({"amount": "abc"}, "amount", ""),
    ({"amount": "-5"}, "amount", ""),
    # no party
    ({"customer": ""}, "customer", ""),
    ({"customer": "NOPE"}, "customer", ""),
])
def test_bad_application_shows_where_and_writes_nothing(web, invoiced, data, where, text):
    _ok(web, "customer_receipt", {"date": "2026-01-15", "ref": "SK-1", "customer": "C01", "account": "1002", "amount": "2000", "prepayment": "1"})
    before = _counts()
    form = {"date": "2026-01-20", "ref": "YSYF-1", "side": "customer", "customer": "C01", "amount": "100", **data}
    r = web.post("/documents/new/advance_application/", form)
    html = r.content.decode()
    assert r.status_code == 200 and _counts() == before
    assert "The document was not posted" in html or "未过账" in html or 'role="alert"' in html
    if where == "line":
        rows = html.split('<tbody>')[1].split("</tbody>")[0].split('<tr class="dline')[1:]
        bad = [i for i, row in enumerate(rows) if row.startswith(' line-error')]
        assert len(bad) == 1 and text in rows[bad[0]]
        if "XSFP-1" in text:
            assert bad == [1]
    elif where == "top":
        assert text in html.split('role="alert"')[1].split("</li>")[0]
    else:
        field = html.split(f'data-field="{where}"')[1].split('data-field=')[0]
        assert "errorlist" in field and text in field
