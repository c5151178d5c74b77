"""Master data endpoints: list/search, get, create through post(), PATCH, DELETE (delete or disable)."""
import pytest


def test_list_search_active_and_paging(api, company):
    for i in range(3):
        assert api.post("/warehouses", {"code": f"W{i}", "name": f"分仓{i}"}).status_code == 201
    r = api.get("/warehouses")
    assert r.status_code == 200
    assert r.json()["count"] == 4
    assert [w["code"] for w in r.json()["items"]] == ["W0", "W1", "W2", "WH1"]
    assert [w["code"] for w in api.get("/warehouses", q="主").json()["items"]] == ["WH1"]
    assert [w["code"] for w in api.get("/warehouses", q="w1").json()["items"]] == ["W1"]
    r = api.get("/warehouses", limit=2, offset=1)
    assert r.json()["count"] == 4 and [w["code"] for w in r.json()["items"]] == ["W1", "W2"]
    api.patch("/warehouses/W0", {"active": False})
    assert [w["code"] for w in api.get("/warehouses", active="false").json()["items"]] == ["W0"]
    assert api.get("/warehouses", active="true").json()["count"] == 3
    for bad in ({"limit": 0}, {"limit": 100000}, {"offset": -1}, {"active": "maybe"}, {"limit": "x"}):
        r = api.get("/warehouses", **bad)
        assert r.status_code == 422 and r.json()["error"] == "invalid_value", bad


def test_get_one_shapes(api, company):
    item = api.get("/items/A001").json()
    assert item == {"code": "A001", "name": "铜线", "active": True, "spec": "", "uom": "kg", "units": {"t": "1000"},
                    "barcodes": [], "tax_rate": "0.13", "account": "1405", "costing_method": None, "category": None,
                    "safety_min": None, "safety_max": None}
    cust = api.get("/customers/C01").json()
    assert cust["credit_limit"] == "100000.00" and cust["payment_terms"] is None
    assert "credit_limit" not in api.get("/suppliers/S01").json()
    acc = api.get("/accounts/220202").json()
    assert acc["parent"] == "2202" and acc["builtin"] is True and acc["name"] == "应付账款-暂估"
    r = api.get("/items/NOPE")
    assert r.status_code == 404 and r.json()["error"] == "unknown_reference"


def test_accounts_list_and_search(api, company):
    r = api.get("/accounts", q="应付账款")
    codes = [a["code"] for a in r.json()["items"]]
    assert codes == ["2202", "220201", "220202"]
    assert api.get("/accounts", limit=1000).json()["count"] > 60


def test_create_through_post(api, company):
    r = api.post("/items", {"code": "B001", "name": "电缆", "uom": "m", "units": {"卷": "100"}, "spec": "YJV 3x2.5",
                            "safety_min": "10", "safety_max": "500.5"})
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "posted" and r.json()["units"] == {"卷": "100"} and r.json()["safety_max"] == "500.5"
    # the same line again: duplicate; the interchange document is identical to an import line
    r = api.post("/items", {"type": "item", "code": "B001", "name": "电缆", "uom": "m", "units": {"卷": "100"},
                            "spec": "YJV 3x2.5", "safety_min": "10", "safety_max": "500.5"})
    assert r.status_code == 200 and r.json()["status"] == "duplicate"
    assert api.get("/documents/item/B001").json()["spec"] == "YJV 3x2.5"
    # other content under the code
    r = api.post("/items", {"code": "B001", "name": "别的", "uom": "m"})
    assert r.status_code == 422 and r.json()["error"] == "duplicate_ref"
    # validation is post()'s
    r = api.post("/items", {"code": "B002", "name": "x", "uom": "kg", "account": "9999"})
    assert r.status_code == 422 and r.json()["error"] == "unknown_account"
    r = api.post("/customers", {"code": "C02", "name": "x", "credit_limit": "1.001"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = api.post("/customers", {"type": "supplier", "code": "C02", "name": "x"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = api.post("/accounts", {"code": "560201", "name": "管理费用-办公费", "parent": "5602"})
    assert r.status_code == 201 and r.json()["parent"] == "5602" and r.json()["level"] == 2
    r = api.post("/accounts", {"code": "56021", "name": "x", "parent": "5602"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    for raw in (b"", b"[]", b"{", b'{"code":"X","name":1.5}'):
        r = api.post("/suppliers", raw)
        assert r.status_code == 422 and r.json()["error"] == "invalid_value", raw


def test_patch_party(api, company):
    r = api.patch("/customers/C01", {"name": "客户一（新）", "contact": "王五", "phone": "021-1234", "address": "上海",
                                     "payment_terms": 30, "credit_limit": "5000", "region": "华东", "tax_id": "91310000X"})
    assert r.status_code == 200, r.content
    c = r.json()
    assert c["name"] == "客户一（新）" and c["credit_limit"] == "5000.00" and c["region"] == "华东" and c["payment_terms"] == 30
    r = api.patch("/customers/C01", {"credit_limit": None, "region": None, "payment_terms": None})
    assert r.json()["credit_limit"] is None and r.json()["region"] is None
    from stockbook.masterdata.models import Customer

    assert Customer.objects.get(code="C01").credit_limit is None


@pytest.mark.parametrize("path,body,field", [
    ("/customers/C01", {"credit_limit": "1.001"}, "credit_limit"),
    ("/customers/C01", {"credit_limit": "-1"}, "credit_limit"),
    ("/customers/C01", {"credit_limit": 1.5}, "credit_limit"),
    ("/customers/C01", {"credit_limit": "１００"}, "credit_limit"),
    ("/customers/C01", {"payment_terms": -1}, "payment_terms"),
    ("/customers/C01", {"payment_terms": "30"}, "payment_terms"),
    ("/customers/C01", {"payment_terms": True}, "payment_terms"),
    ("/customers/C01", {"name": ""}, "name"),
    ("/customers/C01", {"name": None}, "name"),
    ("/customers/C01", {"name": "x" * 201}, "name"),
    ("/customers/C01", {"active": "no"}, "active"),
    ("/customers/C01", {"code": "C99"}, "code"),
    ("/customers/C01", {"phone": 13800000000}, "phone"),
    ("/suppliers/S01", {"credit_limit": "100"}, "credit_limit"),
    ("/items/A001", {"uom": "g"}, "uom"),
    ("/items/A001", {"safety_min": "5", "safety_max": "1"}, "safety_max"),
    ("/items/A001", {"safety_min": "0.00001"}, "safety_min"),
    ("/warehouses/WH1", {"region": 5}, "region"),
    ("/accounts/1001", {"active": False}, "active"),
    ("/accounts/1001", {"name": "现金"}, "name"),
])
def test_patch_rejects(api, company, path, body, field):
    before = api.get(path).json()
    r = api.patch(path, body)
    assert r.status_code == 422, r.content
    assert r.json()["error"] == "invalid_value" and r.json().get("field") == field
    assert api.get(path).json() == before


def test_patch_item_and_missing(api, company):
    r = api.patch("/items/A001", {"spec": "1.5mm²", "safety_min": "20", "safety_max": "200"})
    assert r.json()["spec"] == "1.5mm²" and r.json()["safety_min"] == "20"
    r = api.patch("/items/NOPE", {"name": "x"})
    assert r.status_code == 404 and r.json()["error"] == "unknown_reference"
    for raw in (b"", b"[1]", b"{"):
        assert api.patch("/items/A001", raw).json()["error"] == "invalid_value"


def test_delete_unreferenced_then_recreate(api, company):
    api.post("/warehouses", {"code": "W9", "name": "临时仓"})
    r = api.delete("/warehouses/W9")
    assert r.status_code == 200 and r.json() == {"result": "deleted"}
    assert api.get("/warehouses/W9").status_code == 404
    assert api.get("/documents/warehouse/W9").status_code == 404
    assert api.post("/warehouses", {"code": "W9", "name": "又一个"}).status_code == 201
    assert api.delete("/warehouses/NOPE").status_code == 404


def test_delete_referenced_disables(api, company):
    j = {"type": "journal", "ref": "J1", "date": "2026-01-05",
         "lines": [{"account": "1122", "debit": "10.00", "customer": "C01"}, {"account": "5001", "credit": "10.00"}]}
    assert api.post("/documents", j).status_code == 201
    r = api.delete("/customers/C01")
    assert r.json() == {"result": "disabled"}
    c = api.get("/customers/C01").json()
    assert c["active"] is False
    # accounts: built-in never deleted, used sub-account disabled, unused deleted
    assert api.delete("/accounts/1001").json()["error"] == "invalid_value"
    api.post("/accounts", {"code": "100201", "name": "工行", "parent": "1002"})
    api.post("/accounts", {"code": "100202", "name": "建行", "parent": "1002"})
    api.post("/documents", {"type": "journal", "ref": "J2", "date": "2026-01-05",
                            "lines": [{"account": "100201", "debit": "1.00"}, {"account": "1001", "credit": "1.00"}]})
    assert api.delete("/accounts/100201").json() == {"result": "disabled"}
    assert api.get("/accounts/100201").json()["active"] is False
    assert api.delete("/accounts/100202").json() == {"result": "deleted"}
    # an item used by an account's... item referenced by nothing: deleted with its units
    assert api.delete("/items/A001").json() == {"result": "deleted"}


def test_write_idempotency_on_master(api, company):
    h = {"HTTP_IDEMPOTENCY_KEY": "mk-1"}
    r1 = api.patch("/warehouses/WH1", {"name": "总仓"}, headers=h)
    api.patch("/warehouses/WH1", {"name": "改了"})
    r2 = api.patch("/warehouses/WH1", {"name": "总仓"}, headers=h)
    assert r2.json() == r1.json() and r2["Idempotent-Replayed"] == "true"
    assert api.get("/warehouses/WH1").json()["name"] == "改了"  # the replay did not run again
    assert api.delete("/warehouses/WH1", headers=h).status_code == 422
