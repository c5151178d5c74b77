"""WMS stock files against the books (see conftest: WH1 A001 1900 kg, WH1 B002 300 pcs, WH2 A001 100 kg,
WH2 C003 50 kg on 2026-01-31)."""
from datetime import date

import pytest

from stockbook.external.service import FileRejected, latest_run, run_wms, stock_rows

from .conftest import FIXTURES, csv_bytes, xlsx_bytes

AS_OF = date(2026, 1, 31)


def by_key(out):
    return {(r["warehouse"], r["item"]): r for r in out["rows"]}


def test_matching_file_has_no_differences_csv_english(stocked):
    data = csv_bytes([["warehouse", "item", "qty", "uom"], ["WH1", "A001", "1900", "kg"], ["WH1", "B002", "3", "box"],
                      ["WH2", "A001", "0.1", "t"], ["WH2", "C003", "50", ""]])
    out = run_wms(data, as_of=AS_OF, save=False)
    assert out["report"] == "reconcile-external" and out["source"] == "wms" and out["as_of"] == "2026-01-31"
    assert out["rows"] == [] and out["errors"] == []
    assert out["summary"]["rows_read"] == 4 and out["summary"]["compared"] == 4


@pytest.mark.parametrize("fmt", ["csv-utf8", "csv-bom", "csv-gbk", "xlsx", "xls"])
def test_every_cause_with_chinese_headers(stocked, fmt):
    rows = [["仓库", "物料编码", "数量", "单位"],
            ["WH1", "A001", "1.9", "公斤"],        # 1.9 kg written for 1.9 t: 1900 / 1.9 = 1000 → unit_error
            ["WH1", "B002", "280", "pcs"],         # 300 in the books → quantity_difference 20
            ["WH1", "C003", "5", "kg"],            # nothing in the books → missing_in_books
            ["WH2", "C003", "50", "千克"]]          # equal; WH2 A001 (100 kg) is missing → missing_in_external
    if fmt == "xlsx":
        data = xlsx_bytes(rows)
    elif fmt == "xls":  # 旺店通 单品库存 as exported: more columns around these, a 同步时间 cell (fixtures/make_xls.py)
        data = (FIXTURES / "wdt_stock.xls").read_bytes()
    else:
        data = csv_bytes(rows, encoding="gbk" if fmt == "csv-gbk" else "utf-8", bom=fmt == "csv-bom")
    out = run_wms(data, as_of=AS_OF, file_name=f"wms.{fmt}", save=False)
    assert out["errors"] == []
    assert out["rows"] == [
        {"warehouse": "WH1", "item": "A001", "book_qty": "1900", "external_qty": "1.9", "difference": "1898.1", "cause": "unit_error"},
        {"warehouse": "WH1", "item": "B002", "book_qty": "300", "external_qty": "280", "difference": "20", "cause": "quantity_difference"},
        {"warehouse": "WH1", "item": "C003", "book_qty": "0", "external_qty": "5", "difference": "-5", "cause": "missing_in_books"},
        {"warehouse": "WH2", "item": "A001", "book_qty": "100", "external_qty": "0", "difference": "100", "cause": "missing_in_external"},
    ]


def test_tonnes_written_as_kilograms_and_the_reverse(stocked):
    """吨 vs 公斤: 1900 吨 for 1900 kg in the books is a unit error, as is 1.9 公斤."""
    data = csv_bytes([["仓库", "物料编码", "数量", "单位"], ["WH1", "A001", "1900", "吨"], ["WH2", "A001", "0.1", "kg"]])
    out = run_wms(data, as_of=AS_OF, save=False)
    rows = by_key(out)
    assert rows[("WH1", "A001")] == {"warehouse": "WH1", "item": "A001", "book_qty": "1900", "external_qty": "1900000",
                                     "difference": "-1898100", "cause": "unit_error"}
    assert rows[("WH2", "A001")]["cause"] == "unit_error" and rows[("WH2", "A001")]["external_qty"] == "0.1"


def test_bad_rows_reported_good_rows_reconciled(stocked):
    data = csv_bytes([["warehouse", "item", "qty", "uom"],
                      ["WH1", "A001", "1,900", ""],      # thousands separator: fine
                      ["WH1", "B002", "三百", ""],        # not a number
                      ["WH9", "A001", "1", ""],          # unknown warehouse
                      ["WH1", "ZZZ", "1", ""],           # unknown item
                      ["WH1", "", "1", ""],              # empty key
                      ["WH2", "C003", "50", "箱"],        # unknown unit
                      ["WH2", "A001", "1.23456", ""],    # five decimals
                      ["WH2", "A001", "100", ""]])
    out = run_wms(data, as_of=AS_OF, save=False)
    assert [(e["row"], e["code"]) for e in out["errors"]] == [
        (3, "invalid_value"), (4, "unknown_warehouse"), (5, "unknown_item"), (6, "invalid_value"), (7, "unknown_unit"), (8, "invalid_value")]
    assert all(e["message"].startswith(f"第 {e['row']} 行：") for e in out["errors"])
    assert "三百" in out["errors"][0]["message"] and "WH9" in out["errors"][1]["message"]
    # a (warehouse, item) with a bad row is not compared (its external total is incomplete): WH1 B002, WH2 C003
    # and WH2 A001 are left out, so only WH1 A001 is compared
    assert out["rows"] == []
    assert out["summary"] == {"rows_read": 8, "rows_ok": 2, "rows_bad": 6, "compared": 1, "differences": 0}


def test_duplicate_rows_are_added_and_barcodes_and_names_resolve(stocked):
    data = csv_bytes([["仓库名称", "商品编码", "库存数量"], ["主仓", "6920000000017", "100"], ["主仓", "6920000000017", "150"],
                      ["主仓", "A001", "1900"]])
    out = run_wms(data, as_of=AS_OF, save=False)
    assert out["rows"] == [{"warehouse": "WH1", "item": "B002", "book_qty": "300", "external_qty": "250", "difference": "50",
                            "cause": "quantity_difference"}]


def test_as_of_date_reads_the_ledger_at_that_date(stocked):
    data = csv_bytes([["warehouse", "item", "qty"], ["WH1", "A001", "500"]])
    out = run_wms(data, as_of=date(2026, 1, 9), save=False)
    assert out["rows"] == []  # only R-001 (500 kg) is dated ≤ 01-09; B002 came on 01-12


def test_unposted_draft_and_pending_approval(stocked, post_json):
    import json

    from django.contrib.auth.models import User
    from django.utils import timezone

    from stockbook.approvals.models import ApprovalRequest
    from stockbook.posting.models import Document

    d = {"type": "sales_delivery", "ref": "D-DRAFT", "date": "2026-01-30", "customer": "C01", "warehouse": "WH1",
         "lines": [{"item": "B002", "qty": "1", "uom": "box", "unit_price": "30.00"}]}
    Document.objects.create(type="sales_delivery", ref="D-DRAFT", identity="sales_delivery:D-DRAFT", canonical=json.dumps(d),
                            date=date(2026, 1, 30), status=Document.DRAFT)
    u = User.objects.create_user("maker")
    r = {"type": "purchase_receipt", "ref": "R-PEND", "date": "2026-01-31", "supplier": "S01", "warehouse": "WH2",
         "lines": [{"item": "C003", "qty": "0.02", "uom": "t", "unit_price": "10000"}]}
    now = timezone.now()
    ApprovalRequest.objects.create(doc_type="purchase_receipt", ref="R-PEND", payload=json.dumps(r), maker=u,
                                   level_started_at=now, created_at=now)
    later = {**r, "ref": "R-LATER", "date": "2026-02-02"}
    ApprovalRequest.objects.create(doc_type="purchase_receipt", ref="R-LATER", payload=json.dumps(later), maker=u,
                                   level_started_at=now, created_at=now)
    data = csv_bytes([["warehouse", "item", "qty"], ["WH1", "B002", "200"], ["WH2", "C003", "70"], ["WH2", "A001", "100"],
                      ["WH1", "A001", "1900"]])
    out = run_wms(data, as_of=AS_OF, save=False)
    assert out["rows"] == [
        {"warehouse": "WH1", "item": "B002", "book_qty": "300", "external_qty": "200", "difference": "100",
         "cause": "unposted_document", "refs": ["sales_delivery:D-DRAFT"]},
        {"warehouse": "WH2", "item": "C003", "book_qty": "50", "external_qty": "70", "difference": "-20",
         "cause": "unposted_document", "refs": ["purchase_receipt:R-PEND"]},
    ]


def test_wdt_layout_without_warehouse_column_needs_a_default(stocked):
    head = ["商家编码", "条码", "货品编号", "货品名称", "规格名称", "库存", "单位", "可发库存", "同步时间"]
    rows = [head, ["A001", "", "G1", "铜线", "", "1900", "公斤", "1800", "任意时间"], ["B002", "6920000000017", "G2", "螺丝", "", "290", "pcs", "290", 46023.5]]
    data = xlsx_bytes(rows, title="单品库存")
    with pytest.raises(FileRejected) as e:
        run_wms(data, as_of=AS_OF, save=False)
    assert "仓库" in e.value.message
    out = run_wms(data, as_of=AS_OF, warehouse="WH1", save=False)
    assert out["layout"] == "wdt"
    assert out["rows"] == [{"warehouse": "WH1", "item": "B002", "book_qty": "300", "external_qty": "290", "difference": "10",
                            "cause": "quantity_difference"}]


def test_greaterwms_csv_with_title_rows_and_totals(stocked):
    data = csv_bytes([["库存列表"], ["导出时间", "2026-01-31"], [],
                      ["商品编码", "商品描述", "商品数量", "现有库存", "可被下单数量"],
                      ["C003", "电缆", "60", "50", "50"], ["A001", "铜线", "100", "100", "100"], ["合计", "", "160", "150", ""]])
    out = run_wms(data, as_of=AS_OF, warehouse="WH2", save=False)
    assert out["layout"] == "greaterwms" and out["errors"] == [] and out["rows"] == []


def test_rejected_files(stocked):
    with pytest.raises(FileRejected):
        run_wms(b"", as_of=AS_OF, save=False)
    with pytest.raises(FileRejected) as e:
        run_wms(b"\x00\x01\x02binary", as_of=AS_OF, save=False)
    assert "不是表格" in e.value.message
    with pytest.raises(FileRejected) as e:
        run_wms(csv_bytes([["a", "b"], ["1", "2"]]), as_of=AS_OF, save=False)
    assert "表头" in e.value.message
    with pytest.raises(FileRejected) as e:  # a header, but no quantity column
        run_wms(csv_bytes([["仓库", "物料编码", "备注"], ["WH1", "A001", "x"]]), as_of=AS_OF, save=False)
    assert "数量" in e.value.message
    with pytest.raises(FileRejected) as e:  # an old Excel file cut short
        run_wms(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, as_of=AS_OF, save=False)
    assert "xls" in e.value.message and ".xlsx" in e.value.message
    with pytest.raises(FileRejected) as e:
        run_wms((FIXTURES / "wdt_stock.xls").read_bytes()[:3000], as_of=AS_OF, save=False)
    assert "xls" in e.value.message
    with pytest.raises(FileRejected):
        run_wms(b"PK\x03\x04broken zip", as_of=AS_OF, save=False)
    from stockbook.external.models import ExternalRun

    assert not ExternalRun.objects.exists()


def test_user_mapping_overrides_detection(stocked):
    data = csv_bytes([["库位", "SKU编码", "盘点数", "数量"], ["WH1", "A001", "1900", "9"]])
    out = run_wms(data, as_of=AS_OF, mapping={"库位": "warehouse", "SKU编码": "item", "盘点数": "qty"}, save=False)
    assert out["errors"] == []  # 盘点数 (1900) is the quantity, not 数量 (9)
    assert out["rows"] == [{"warehouse": "WH1", "item": "B002", "book_qty": "300", "external_qty": "0", "difference": "300",
                            "cause": "missing_in_external"}]


def test_saved_run_and_read_api(stocked):
    data = csv_bytes([["warehouse", "item", "qty", "uom"], ["WH1", "A001", "1.9", "t"], ["WH1", "B002", "2", "box"]])
    out = run_wms(data, as_of=AS_OF, file_name="wms.csv", save=True, source="cli")
    run = latest_run("wms")
    assert run.pk == out["run"] and run.file_name == "wms.csv" and run.as_of == AS_OF and run.differences == 1
    assert len(run.sha256) == 64 and run.result["rows"] == out["rows"]
    assert stock_rows(run) == [{"row_no": 2, "warehouse": "WH1", "item": "A001", "qty": 19000000, "uom": "t"},
                               {"row_no": 3, "warehouse": "WH1", "item": "B002", "qty": 2000000, "uom": "box"}]
    assert latest_run("gl") is None


def test_scoped_user_sees_only_their_warehouses(stocked):
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Warehouse

    from tests.roles import role_user

    u = role_user("keeper", "仓库")
    s = Scope.objects.create(user=u)
    s.warehouses.add(Warehouse.objects.get(code="WH2"))
    data = csv_bytes([["warehouse", "item", "qty"], ["WH1", "A001", "5"], ["WH2", "C003", "40"]])
    out = run_wms(data, as_of=AS_OF, user=u, save=False)
    assert [(e["row"], e["code"]) for e in out["errors"]] == [(2, "not_allowed")]
    assert [(r["warehouse"], r["item"], r["cause"]) for r in out["rows"]] == [
        ("WH2", "A001", "missing_in_external"), ("WH2", "C003", "quantity_difference")]
