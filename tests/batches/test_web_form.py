"""The web document form takes 批次 / 有效期至 per line (optional columns) for batch-managed items."""
from tests.batches.conftest import balances, moves_of, written


def test_receipt_and_delivery_with_batches_through_the_form(bco, client):
    from tests.roles import role_user

    client.force_login(role_user("admin", "系统管理员"))
    r = client.get("/documents/new/purchase_receipt/")
    assert "有效期至" in r.content.decode()
    form = {"date": "2026-01-05", "ref": "CGRK-1", "supplier": "S01", "warehouse": "WH1", "item": ["A001", "A001"],
            "uom": ["kg", "kg"], "qty": ["10", "4"], "unit_price": ["5.00", "5.00"], "batch": ["W1", "W2"],
            "expiry": ["2026-05-01", "2026-03-01"]}
    r = client.post("/documents/new/purchase_receipt/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert balances() == {("WH1", "W1"): 10, ("WH1", "W2"): 4}
    # a batch-managed receipt line without batch is refused on the form, nothing written
    r = client.post("/documents/new/purchase_receipt/", {**form, "ref": "CGRK-2", "batch": ["", "W2"]})
    assert r.status_code == 200 and not written("purchase_receipt", "CGRK-2")
    r = client.post("/documents/new/sales_delivery/", {"date": "2026-01-06", "ref": "XSCK-1", "customer": "C01", "warehouse": "WH1",
                                                       "item": ["A001"], "uom": ["kg"], "qty": ["6"], "unit_price": ["9.00"], "batch": [""]})
    assert r.status_code == 302
    assert moves_of("sales_delivery", "XSCK-1") == [(1, "W2", -4), (1, "W1", -2)]
