"""Web pages: every page renders for its role; the order form, receipt, QC and invoice forms post, and a refused
action shows its Chinese error on the page with nothing written."""
import pytest
from django.test import Client

from stockbook.purchasing import services
from stockbook.purchasing.models import PurchaseOrder as PO

from .conftest import counts, po_obj

pytestmark = pytest.mark.django_db


def login(user):
    c = Client()
    c.force_login(user)
    return c


def test_pages_and_flow(company, people, post_json):
    buyer, keeper, fin = login(people["buyer"]), login(people["keeper"]), login(people["fin1"])
    r = buyer.get("/purchasing/orders/new/")
    assert r.status_code == 200 and "新建采购订单" in r.content.decode()
    r = buyer.post("/purchasing/orders/new/", {"supplier": "S01", "warehouse": "WH1", "order_date": "2026-01-05", "item": ["A001", ""],
                                               "qty": ["100", ""], "uom": ["", ""], "unit_price": ["10", ""], "tax_rate": ["", ""],
                                               "expected_date": ["2026-01-20", ""], "submit": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    po = PO.objects.get()
    assert po.status == PO.APPROVED and po.lines.get().expected_date.isoformat() == "2026-01-20"
    r = buyer.post("/purchasing/orders/new/", {"supplier": "S01", "warehouse": "WH1", "order_date": "2026-01-05", "item": ["ZZ"],
                                               "qty": ["1"], "uom": [""], "unit_price": ["1"], "tax_rate": [""], "expected_date": [""]})
    assert r.status_code == 200 and "存货 ZZ 不存在" in r.content.decode() and PO.objects.count() == 1

    for url in ["/purchasing/orders/", f"/purchasing/orders/{po.pk}/", f"/purchasing/orders/{po.pk}/print/",
                f"/purchasing/orders/{po.pk}/receive/", f"/purchasing/orders/{po.pk}/match/", "/purchasing/price-hint/?item=A001",
                "/purchasing/prices/?item=A001", "/purchasing/requisitions/", "/purchasing/requisitions/new/",
                "/purchasing/suggestions/", "/purchasing/settings/", "/purchasing/orders/?status=approved&supplier=S01&q=CGDD"]:
        assert buyer.get(url).status_code == 200, url
    assert "采购订单" in buyer.get("/").content.decode()  # the nav group
    pdf = buyer.get(f"/purchasing/orders/{po.pk}/print/?format=pdf&download=1")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert keeper.get("/purchasing/orders/new/").status_code == 403

    before = counts()
    r = buyer.post(f"/purchasing/orders/{po.pk}/receive/", {"ref": "R1", "date": "2026-01-10", "warehouse": "WH1",
                                                            "order_line": ["1"], "qty": ["200"]})
    assert r.status_code == 200 and "over_receipt" in r.content.decode() and counts() == before
    r = buyer.post(f"/purchasing/orders/{po.pk}/receive/", {"ref": "R1", "date": "2026-01-10", "warehouse": "WH1",
                                                            "order_line": ["1"], "qty": ["60"]})
    assert r.status_code == 302
    from stockbook.posting.models import Document

    r1 = Document.objects.get(ref="R1")
    assert keeper.get("/purchasing/inspections/").status_code == 200
    r = keeper.post(f"/purchasing/inspections/{r1.pk}/", {"date": "2026-01-11", "accepted_1": "50", "rejected_1": "5", "reason_1": "x"})
    assert r.status_code == 200 and "≠ 到货 60" in r.content.decode()
    r = keeper.post(f"/purchasing/inspections/{r1.pk}/", {"date": "2026-01-11", "accepted_1": "55", "rejected_1": "5", "reason_1": "破损"})
    assert r.status_code == 302 and Document.objects.filter(ref="QC-R1").exists()
    assert "已于" in keeper.get(f"/purchasing/inspections/{r1.pk}/").content.decode()

    page = fin.get(f"/purchasing/orders/{po.pk}/match/").content.decode()
    assert "按入库生成采购发票" in page and 'value="55"' in page
    before = counts()
    r = fin.post(f"/purchasing/orders/{po.pk}/match/", {"ref": "PI1", "date": "2026-01-15", "receipt": ["R1"], "line": ["1"],
                                                        "qty": ["55"], "unit_price": ["11.00"], "tax_rate": ["0.13"]})
    assert r.status_code == 200 and "three_way_mismatch" in r.content.decode() and counts() == before
    r = fin.post(f"/purchasing/orders/{po.pk}/match/", {"ref": "PI1", "date": "2026-01-15", "receipt": ["R1"], "line": ["1"],
                                                        "qty": ["55"], "unit_price": ["10.00"], "tax_rate": ["0.13"]})
    assert r.status_code == 302 and Document.objects.filter(ref="PI1", type="purchase_invoice").exists()
    assert "匹配" in fin.get(f"/purchasing/orders/{po.pk}/match/").content.decode()
    assert fin.get("/purchasing/scores/?from=2026-01-01&to=2026-12-31").status_code == 200

    r = buyer.post(f"/purchasing/orders/{po.pk}/do/close/")
    po.refresh_from_db()
    assert r.status_code == 302 and po.status == PO.CLOSED


def test_requisition_to_order_and_suggestions(company, people, post_json):
    from stockbook.masterdata.models import Item

    buyer, fin = login(people["buyer"]), login(people["fin1"])
    post_json({"type": "purchase_receipt", "ref": "R0", "date": "2026-01-02", "supplier": "S02", "warehouse": "WH1",
               "lines": [{"item": "B002", "qty": "2", "unit_price": "7.50"}]})
    r = buyer.post("/purchasing/requisitions/new/", {"date": "2026-01-05", "department": "生产部", "item": ["B002"], "qty": ["30"],
                                                     "needed_by": ["2026-01-30"], "reason": ["补料"], "submit": "1"})
    assert r.status_code == 302
    from stockbook.purchasing.models import Requisition

    req = Requisition.objects.get()
    assert req.status == "submitted"
    # the buyer has no 审批 right; a 财务主管 without 采购 cannot open it: a buyer-approver does
    people["solo"]  # 采购 + 财务主管
    solo = login(people["solo"])
    r = solo.post(f"/purchasing/requisitions/{req.pk}/", {"action": "approve"})
    req.refresh_from_db()
    assert req.status == "approved"
    r = buyer.post(f"/purchasing/requisitions/{req.pk}/", {"action": "convert", "pick": ["1"], "supplier_1": "", "warehouse": "WH1"})
    req.refresh_from_db()
    po = PO.objects.get()
    assert req.status == "ordered" and po.supplier.code == "S02" and po.lines.get().unit_price == "7.5"
    assert req.lines.get().po_line.order == po

    Item.objects.filter(code="A001").update(safety_min=500_000, safety_max=2_000_000)  # 50 / 200 kg
    rows = buyer.get("/purchasing/suggestions/")
    assert rows.status_code == 200 and "A001" in rows.content.decode()
    from stockbook.purchasing.history import suggestions

    s = suggestions()
    assert [(x["item"], x["suggested_qty"]) for x in s] == [("A001", "200")]
    s[0]["supplier"] = "S01"
    r = buyer.post("/purchasing/suggestions/", {"pick": ["0"], "qty_0": "200", "supplier_0": "S01", "price_0": "10", "target_warehouse": "WH1"})
    assert r.status_code == 302 and PO.objects.filter(supplier__code="S01", status="draft").count() == 1
    assert suggestions() == []  # 200 kg on order now
    assert fin.get("/purchasing/orders/").status_code == 200


def test_approval_pages_show_the_order(company, people, make_workflow):
    make_workflow([{"roles": ["财务主管"]}], doc_type="purchase_order", min_amount=1)
    po = services.submit(services.create_order(po_obj(), user=people["buyer"]), user=people["buyer"])
    assert po.status == PO.PENDING
    fin = login(people["fin1"])
    assert fin.get("/approvals/").status_code == 200
    r = fin.get(f"/approvals/{po.approval_id}/")
    assert r.status_code == 200 and po.number in r.content.decode()
    r = fin.post(f"/approvals/{po.approval_id}/approve/", {"a-password": "pw-fin1", "a-level": "1", "a-comment": ""})
    po.refresh_from_db()
    assert r.status_code in (200, 302) and po.status == PO.APPROVED


def test_edit_draft_page(company, people):
    po = services.create_order(po_obj(), user=people["buyer"])
    c = login(people["buyer"])
    assert 'value="A001"' in c.get(f"/purchasing/orders/{po.pk}/edit/").content.decode()
    r = c.post(f"/purchasing/orders/{po.pk}/edit/", {"supplier": "S01", "warehouse": "WH2", "order_date": "2026-01-06", "item": ["A001"],
                                                     "qty": ["2"], "uom": ["t"], "unit_price": ["9000"], "tax_rate": ["0.13"],
                                                     "expected_date": [""]})
    po.refresh_from_db()
    assert r.status_code == 302 and (po.warehouse.code, po.amount, po.lines.get().qty_base) == ("WH2", 1_800_000, 20_000_000)
    services.submit(po)
    assert c.get(f"/purchasing/orders/{po.pk}/edit/").status_code == 302
