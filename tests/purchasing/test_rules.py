"""Each purchasing rule with bad input: the error code, and nothing written (no document, move, voucher, link)."""
from datetime import date

import pytest

from stockbook.core.errors import DocError
from stockbook.posting.models import Document
from stockbook.purchasing import services
from stockbook.purchasing.models import PurchaseOrder as PO
from stockbook.purchasing.models import PurchaseSettings

from .conftest import counts, po_obj, pw

pytestmark = pytest.mark.django_db


def approved(lines=(("A001", "100", "10.00"),), **kw):
    po = services.create_order(po_obj(lines, **kw))
    return services.submit(po)  # no workflow: approved at once


def rcv(po_no, qty, ref="R1", line=1, item="A001", supplier="S01", day="2026-01-10", price="10.00"):
    return {"type": "purchase_receipt", "ref": ref, "date": day, "supplier": supplier, "warehouse": "WH1",
            "lines": [{"item": item, "qty": qty, "unit_price": price, "order": po_no, "order_line": line}]}


def refused(post_json, doc, code):
    before = counts()
    with pytest.raises(DocError) as e:
        post_json(doc)
    assert e.value.code == code, e.value.message
    assert counts() == before and not Document.objects.filter(ref=doc["ref"], type=doc["type"]).exists()
    return e.value


def test_no_workflow_approves_at_once_and_numbers_run(company):
    a, b = approved(), approved()
    assert (a.status, a.number, b.number) == (PO.APPROVED, "CGDD-202601-0001", "CGDD-202601-0002")


def test_po_amount_rounds_per_line(company):
    po = services.create_order(po_obj([("A001", "3", "3.335"), ("B002", "1", "0.005")]))
    # 3 × 3.335 = 10.005 → 10.01, tax 1.30; 0.005 → 0.01, tax 0.00
    assert (po.amount, po.tax) == (1002, 130)


@pytest.mark.parametrize("bad,code", [
    ({"supplier": "NOPE"}, "unknown_party"), ({"warehouse": "NOPE"}, "unknown_warehouse"),
    ({"lines": []}, "invalid_value"), ({"lines": [{"item": "ZZZ", "qty": "1", "unit_price": "1"}]}, "unknown_item"),
    ({"lines": [{"item": "A001", "qty": "-1", "unit_price": "1"}]}, "invalid_value"),
    ({"lines": [{"item": "A001", "qty": "1.00001", "unit_price": "1"}]}, "invalid_value"),
    ({"lines": [{"item": "A001", "qty": "1", "unit_price": "1", "uom": "box"}]}, "unknown_unit"),
    ({"lines": [{"item": "A001", "qty": "1", "unit_price": "1", "tax_rate": "1.5"}]}, "invalid_value"),
    ({"order_date": "2026-13-01"}, "invalid_value"),
])
def test_bad_orders(company, bad, code):
    with pytest.raises(DocError) as e:
        services.create_order(dict(po_obj(), **bad))
    assert e.value.code == code and PO.objects.count() == 0


def test_status_transitions_checked(company):
    po = approved()
    with pytest.raises(DocError) as e:
        services.submit(po)
    assert e.value.code == "invalid_status"
    services.close(po)
    with pytest.raises(DocError) as e:
        services.cancel(po)
    assert e.value.code == "invalid_status"
    with pytest.raises(DocError) as e:
        services.check_transition(po, PO.DRAFT)
    assert e.value.code == "invalid_status"


def test_receipt_rules(company, post_json):
    po = approved()
    draft = services.create_order(po_obj())
    refused(post_json, rcv("CGDD-NOPE", "1"), "unknown_reference")
    refused(post_json, rcv(draft.number, "1"), "invalid_status")
    refused(post_json, rcv(po.number, "1", supplier="S02"), "invalid_value")
    refused(post_json, rcv(po.number, "1", item="B002"), "invalid_value")
    refused(post_json, rcv(po.number, "1", line=9), "unknown_reference")
    e = refused(post_json, rcv(po.number, "105.0001"), "over_receipt")
    assert "订购 100" in e.message and "105" in e.message
    post_json(rcv(po.number, "105"))  # exactly the 5 % tolerance
    po.refresh_from_db()
    assert po.status == PO.RECEIVED


def test_tolerance_setting_and_partial_receipts(company, post_json):
    services.update_settings("0", "0")
    po = approved()
    post_json(rcv(po.number, "40"))
    post_json(rcv(po.number, "60", ref="R2"))
    refused(post_json, rcv(po.number, "0.0001", ref="R3"), "invalid_status")
    with pytest.raises(DocError) as e:
        services.update_settings("-1", "0")
    assert e.value.code == "invalid_value"
    assert PurchaseSettings.current().over_receipt_pct == 0


def test_two_lines_of_one_receipt_count_together(company, post_json):
    po = approved()
    doc = rcv(po.number, "60")
    doc["lines"].append(dict(doc["lines"][0], qty="50"))
    refused(post_json, doc, "over_receipt")


def test_receipt_in_other_unit(company, post_json):
    po = approved([("A001", "2", "10000", "t")])  # 2 t at 10,000.00/t
    res = services.receive(po, [{"order_line": 1, "qty": "1500", "uom": "kg"}], ref="R1", day=date(2026, 1, 10))
    assert res.document.lines.get().unit_price == "10"  # 10.00 per kg, from the PO price
    po.refresh_from_db()
    assert po.status == PO.PARTIAL


def test_void_gives_qty_back(company, post_json):
    from stockbook.posting.void import void_document

    po = approved()
    r = post_json(rcv(po.number, "100")).document
    po.refresh_from_db()
    assert po.status == PO.RECEIVED
    void_document(r.pk, reason="错单")
    po.refresh_from_db()
    assert po.status == PO.APPROVED and services.received_by_line(order_ids=[po.pk]) == {}


def test_inspection_rules(company, post_json, people):
    po = approved()
    post_json(rcv(po.number, "10"))
    keeper = people["keeper"]
    before = counts()
    for lines, code in [([{"line": 1, "accepted": "8", "rejected": "1", "reason": "x"}], "invalid_value"),
                        ([{"line": 2, "accepted": "10", "rejected": "0"}], "unknown_reference"),
                        ([{"line": 1, "accepted": "7", "rejected": "3"}], "invalid_value"),  # reason missing
                        ([], "invalid_value")]:
        with pytest.raises(DocError) as e:
            services.inspect("R1", lines, user=keeper, day=date(2026, 1, 11))
        assert e.value.code == code
        assert counts() == before
    with pytest.raises(DocError) as e:
        services.inspect("R1", [{"line": 1, "accepted": "10", "rejected": "0"}], user=people["seller"])
    assert e.value.code == "not_allowed"
    with pytest.raises(DocError) as e:
        services.inspect("NOPE", [{"line": 1, "accepted": "10", "rejected": "0"}], user=keeper)
    assert e.value.code == "unknown_reference"
    insp = services.inspect("R1", [{"line": 1, "accepted": "10", "rejected": "0"}], user=keeper, day=date(2026, 1, 11))
    assert insp.return_document is None
    before = counts()
    with pytest.raises(DocError) as e:
        services.inspect("R1", [{"line": 1, "accepted": "10", "rejected": "0"}], user=keeper)
    assert e.value.code == "invalid_status" and counts() == before


def test_three_way_qty_and_tolerance(company, post_json):
    po = approved()
    post_json(rcv(po.number, "10"))
    services.inspect("R1", [{"line": 1, "accepted": "6", "rejected": "4", "reason": "不合格"}], day=date(2026, 1, 11))
    inv = {"type": "purchase_invoice", "ref": "PI1", "date": "2026-01-15", "supplier": "S01",
           "lines": [{"receipt": "R1", "line": 1, "qty": "6", "unit_price": "10.01"}]}
    refused(post_json, inv, "three_way_mismatch")
    services.update_settings("5", "0.5")  # 0.5 % of 10.00 = 0.05
    refused(post_json, dict(inv, lines=[dict(inv["lines"][0], unit_price="10.06")]), "three_way_mismatch")
    post_json(dict(inv, lines=[dict(inv["lines"][0], unit_price="10.05", qty="3")]))
    # the contract's own limit (invoiced + returned ≤ received) comes first for qty
    refused(post_json, dict(inv, ref="PI2", lines=[dict(inv["lines"][0], unit_price="10", qty="4")]), "invoice_exceeds_receipt")
    post_json(dict(inv, ref="PI3", lines=[dict(inv["lines"][0], unit_price="10", qty="3")]))


def test_unlinked_documents_untouched(company, post_json):
    """Receipts and invoices without orders post as before (the hooks return at once)."""
    post_json({"type": "purchase_receipt", "ref": "R9", "date": "2026-01-10", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "1", "unit_price": "99"}]})
    post_json({"type": "purchase_invoice", "ref": "PI9", "date": "2026-01-10", "supplier": "S01",
               "lines": [{"receipt": "R9", "line": 1, "qty": "1", "unit_price": "120"}]})


def test_rejected_approval_and_amount_levels(company, people, make_workflow):
    from stockbook.approvals import service as approvals

    make_workflow([{"roles": ["财务主管"]}], doc_type="purchase_order", min_amount=100_000, max_amount=1_000_000)
    make_workflow([{"roles": ["财务主管"]}, {"roles": ["管理层"]}], doc_type="purchase_order", min_amount=1_000_000)
    small = services.submit(services.create_order(po_obj([("A001", "1", "100")]), user=people["buyer"]), user=people["buyer"])
    assert small.status == PO.APPROVED  # 113.00: no workflow covers it
    mid = services.submit(services.create_order(po_obj([("A001", "10", "100")]), user=people["buyer"]), user=people["buyer"])
    big = services.submit(services.create_order(po_obj([("A001", "100", "100")]), user=people["buyer"]), user=people["buyer"])
    assert (mid.status, mid.approval.levels, big.status, big.approval.levels) == (PO.PENDING, 1, PO.PENDING, 2)
    approvals.approve(mid.approval, people["fin1"], pw(people["fin1"]))
    mid.refresh_from_db()
    assert mid.status == PO.APPROVED
    approvals.reject(big.approval, people["fin1"], pw(people["fin1"]), "价格太高")
    big.refresh_from_db()
    services.sync_approval(big)
    assert big.status == PO.REJECTED


def test_suggestions_count_stock_orders_and_reservations(company, post_json, monkeypatch):
    """A001: min 50, max 200 kg. On hand WH1 50 (R1 30 and R3 10 against orders, R2 10 without), WH2 30 (R0 @ 9.00);
    open order qty 20 (PO2: 30 ordered, 10 received) → level 100 − reserved. Reserved 50 → 50, not below the min;
    50.0001 → 49.9999 → suggest 200 − 49.9999 = 150.0001 from S02 (the lowest price of 12 months). WH2 alone: 30 on
    hand, no order for WH2, nothing reserved there → 170."""
    from stockbook.masterdata.models import Item, Warehouse
    from stockbook.purchasing.history import suggestions
    from stockbook.sales import availability

    Item.objects.filter(code="A001").update(safety_min=500_000, safety_max=2_000_000)
    a = Item.objects.get(code="A001")
    wh1, wh2 = Warehouse.objects.get(code="WH1"), Warehouse.objects.get(code="WH2")
    post_json({"type": "purchase_receipt", "ref": "R0", "date": "2026-01-02", "supplier": "S02", "warehouse": "WH2",
               "lines": [{"item": "A001", "qty": "30", "unit_price": "9"}]})
    po = approved([("A001", "30", "10.00")])
    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-03", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "30", "unit_price": "10", "order": po.number, "order_line": 1}]})
    post_json({"type": "purchase_receipt", "ref": "R2", "date": "2026-01-03", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10"}]})
    services.update_settings("5", "0")
    po2 = approved([("A001", "30", "10.00")])
    post_json({"type": "purchase_receipt", "ref": "R3", "date": "2026-01-04", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": "10", "order": po2.number, "order_line": 1}]})
    reserved = {}
    monkeypatch.setattr(availability, "reserved", lambda item_ids=None, warehouse_ids=None, **kw: {
        k: v for k, v in reserved.items() if warehouse_ids is None or k[1] in warehouse_ids})
    reserved[(a.pk, wh1.pk)] = 500_000
    assert suggestions() == []
    reserved[(a.pk, wh1.pk)] = 500_001
    rows = suggestions()
    assert [(r["item"], r["suggested_qty"], r["on_hand"], r["on_order"], r["reserved"]) for r in rows] == [
        ("A001", "150.0001", "80", "20", "50.0001")]
    assert rows[0]["supplier"] == "S02"  # best (lowest) price of the last 12 months: 9.00
    assert [(r["suggested_qty"]) for r in suggestions(wh2.pk)] == ["170"]


def test_requisition_through_approvals(company, people, make_workflow, post_json):
    """A workflow for purchase_requisition from 100.00 (estimated at last prices): B002 last 7.50 × 30 = 225.00 → in
    approval; the chief approves in the approvals app → 已批准; without workflow coverage (1 pc = 7.50) the approver
    decides on the requisition itself; the requester may not approve their own."""
    from stockbook.approvals import service as approvals
    from stockbook.purchasing.models import Requisition as R

    post_json({"type": "purchase_receipt", "ref": "R0", "date": "2026-01-02", "supplier": "S02", "warehouse": "WH1",
               "lines": [{"item": "B002", "qty": "2", "unit_price": "7.50"}]})
    make_workflow([{"roles": ["财务主管"]}], doc_type="purchase_requisition", min_amount=10_000)
    buyer, fin1, solo = people["buyer"], people["fin1"], people["solo"]
    r = services.create_requisition({"date": "2026-01-05", "lines": [{"item": "B002", "qty": "30"}]}, user=buyer)
    assert services.requisition_amount(r) == 22_500
    r = services.requisition_to(r, R.SUBMITTED, user=buyer)
    assert r.approval is not None and r.status == R.SUBMITTED
    with pytest.raises(DocError) as e:
        services.requisition_to(r, R.APPROVED, user=solo)
    assert e.value.code == "invalid_status"
    approvals.approve(r.approval, fin1, pw(fin1))
    r.refresh_from_db()
    assert r.status == R.APPROVED and r.approved_by == fin1

    small = services.create_requisition({"lines": [{"item": "B002", "qty": "1"}]}, user=buyer)
    small = services.requisition_to(small, R.SUBMITTED, user=buyer)
    assert small.approval is None
    with pytest.raises(DocError) as e:
        services.requisition_to(small, R.APPROVED, user=buyer)
    assert e.value.code == "not_allowed"  # the buyer holds no 审批 right
    mine = services.create_requisition({"lines": [{"item": "B002", "qty": "1"}]}, user=solo)
    services.requisition_to(mine, R.SUBMITTED, user=solo)
    with pytest.raises(DocError) as e:
        services.requisition_to(mine, R.APPROVED, user=solo)
    assert e.value.code == "segregation_of_duties"
    services.requisition_to(small, R.REJECTED, user=solo)
    with pytest.raises(DocError) as e:
        services.convert_requisition(small, {1: "S01"}, warehouse="WH1")
    assert e.value.code == "invalid_status"

    big = services.create_requisition({"lines": [{"item": "B002", "qty": "30"}]}, user=buyer)
    big = services.requisition_to(big, R.SUBMITTED, user=buyer)
    approvals.reject(big.approval, fin1, pw(fin1), "暂缓")
    assert services.sync_requisition(big).status == R.REJECTED


def test_red_invoice_gives_qty_back_to_the_match(company, post_json):
    """R1 10 against the order, PI1 10 @ 10.00; a red invoice of 4 → net invoiced 6, so PI2 of 4 passes the match
    (without the red one the core refuses it as invoice_exceeds_receipt)."""
    from stockbook.purchasing.match import match_json

    po = approved()
    post_json(rcv(po.number, "10"))
    inv = {"type": "purchase_invoice", "ref": "PI1", "date": "2026-01-15", "supplier": "S01",
           "lines": [{"receipt": "R1", "line": 1, "qty": "10", "unit_price": "10.00"}]}
    post_json(inv)
    post_json({"type": "purchase_red_invoice", "ref": "RED1", "date": "2026-01-16", "supplier": "S01",
               "lines": [{"invoice": "PI1", "line": 1, "qty": "4"}]})
    post_json(dict(inv, ref="PI2", date="2026-01-17", lines=[dict(inv["lines"][0], qty="4")]))
    line = match_json(po)["lines"][0]
    assert (line["invoiced"], line["match"]) == ("10", "匹配")
    assert [i["qty"] for i in line["receipts"][0]["invoices"]] == ["6", "4"]
