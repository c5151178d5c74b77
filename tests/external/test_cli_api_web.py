"""The same reconciliation through the CLI (exit codes, --save), REST (upload, rights, scope) and the web pages."""
import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest

from stockbook.external.models import ColumnMapping, ExternalRun

from .conftest import csv_bytes, xlsx_bytes

WMS_OK = [["仓库", "物料编码", "数量", "单位"], ["WH1", "A001", "1900", "kg"], ["WH1", "B002", "300", ""], ["WH2", "A001", "100", ""],
          ["WH2", "C003", "50", ""]]
WMS_DIFF = [["warehouse", "item", "qty", "uom"], ["WH1", "A001", "1.9", "kg"], ["WH1", "B002", "x", ""]]
GL = [["date", "voucher_no", "account", "debit", "credit", "summary", "reference"],
      ["2026-01-05", "记-1", "1405", "25000.00", "", "", "R-001"], ["2026-01-05", "记-1", "220202", "", "25000.00", "", ""]]


def cli(*argv):
    from stockbook.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# -- CLI --------------------------------------------------------------------------------------------
def test_cli_wms_exit_codes_and_save(stocked, tmp_path):
    ok = tmp_path / "ok.csv"
    ok.write_bytes(csv_bytes(WMS_OK))
    code, out, _ = cli("reconcile-external", "wms", str(ok), "--as-of", "2026-01-31", "--format", "json")
    assert code == 0 and json.loads(out)["rows"] == [] and not ExternalRun.objects.exists()
    bad = tmp_path / "diff.xlsx"
    bad.write_bytes(xlsx_bytes(WMS_DIFF))
    code, out, _ = cli("reconcile-external", "wms", str(bad), "--as-of", "2026-01-31", "--save")
    res = json.loads(out)
    assert code == 1 and res["rows"][0]["cause"] == "unit_error" and res["errors"][0]["row"] == 3
    run = ExternalRun.objects.get()
    assert run.pk == res["run"] and run.source == "cli" and run.file_name == "diff.xlsx" and run.created_by is None


def test_cli_table_format_and_gl(stocked, tmp_path):
    f = tmp_path / "gl.csv"
    f.write_bytes(csv_bytes(GL))
    code, out, _ = cli("reconcile-external", "gl", str(f), "--from", "2026-01-01", "--to", "2026-01-31", "--format", "table")
    assert code == 1 and "未传入外部账" in out and "记-2026-01-0002" in out


def test_cli_rejections_exit_2(stocked, tmp_path):
    f = tmp_path / "junk.csv"
    f.write_bytes(b"hello\nworld\n")
    code, out, err = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31")
    assert code == 2 and out == "" and json.loads(err)["error"] == "invalid_value" and "表头" in json.loads(err)["message"]
    code, _, err = cli("reconcile-external", "wms", str(tmp_path / "nope.csv"), "--as-of", "2026-01-31")
    assert code == 2 and "无法读取" in json.loads(err)["message"]
    f.write_bytes(csv_bytes(WMS_OK))
    code, _, err = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31", "--mapping", "不存在的方案")
    assert code == 2 and json.loads(err)["error"] == "unknown_reference"
    code, _, err = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31", "--mapping", "{bad json")
    assert code == 2
    with pytest.raises(SystemExit) as e:
        cli("reconcile-external", "wms", str(f), "--as-of", "2026-02-30")
    assert e.value.code == 2
    assert not ExternalRun.objects.exists()


# -- REST -------------------------------------------------------------------------------------------
def _token(user):
    from stockbook.users.models import ApiToken

    return ApiToken.issue(user, "t")[1]


def _post(client, path, token, data, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = {"file": SimpleUploadedFile(fields.pop("name", "f.csv"), data), **fields}
    return client.post("/api" + path, body, HTTP_AUTHORIZATION=f"Bearer {token}" if token else "")


def test_rest_upload_and_history(stocked, client):
    from tests.roles import role_user

    tok = _token(role_user("fin", "财务"))
    r = _post(client, "/reconcile-external/wms", tok, csv_bytes(WMS_DIFF), as_of="2026-01-31")
    assert r.status_code == 200, r.content
    res = r.json()
    assert res["source"] == "wms" and res["rows"][0]["cause"] == "unit_error" and res["errors"][0]["code"] == "invalid_value"
    r = _post(client, "/reconcile-external/gl", tok, xlsx_bytes(GL), name="gl.xlsx", **{"from": "2026-01-01", "to": "2026-01-31"})
    assert r.status_code == 200 and r.json()["matches"][0]["rule"] == "reference"
    lst = client.get("/api/reconcile-external/runs", HTTP_AUTHORIZATION=f"Bearer {tok}").json()
    assert lst["count"] == 2 and [i["kind"] for i in lst["items"]] == ["gl", "wms"] and lst["items"][0]["file_name"] == "gl.xlsx"
    one = client.get(f"/api/reconcile-external/runs/{res['run']}", HTTP_AUTHORIZATION=f"Bearer {tok}").json()
    assert one["result"]["rows"] == res["rows"] and one["result"]["errors"] == res["errors"]
    assert client.get("/api/reconcile-external/runs/999999", HTTP_AUTHORIZATION=f"Bearer {tok}").status_code == 404
    maps = client.get("/api/reconcile-external/mappings?kind=gl", HTTP_AUTHORIZATION=f"Bearer {tok}").json()["items"]
    assert any(m["builtin"] and m["layout"] == "kingdee_kis_journal" for m in maps)


def test_rest_errors(stocked, client):
    from tests.roles import role_user

    tok = _token(role_user("fin", "财务"))
    r = _post(client, "/reconcile-external/wms", tok, b"not,a\ntable,at all\n", as_of="2026-01-31")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value" and "表头" in r.json()["message"]
    r = _post(client, "/reconcile-external/wms", tok, csv_bytes(WMS_OK), as_of="2026-99-01")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"
    r = _post(client, "/reconcile-external/wms", None, csv_bytes(WMS_OK), as_of="2026-01-31")
    assert r.status_code == 401 and r.json()["error"] == "not_allowed"
    assert not ExternalRun.objects.exists()


def test_rest_rights_and_scope(stocked, client):
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Warehouse

    from tests.roles import role_user

    sales = _token(role_user("sales", "销售"))  # no reconcile right
    r = _post(client, "/reconcile-external/wms", sales, csv_bytes(WMS_OK), as_of="2026-01-31")
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    keeper = role_user("keeper", "仓库")  # reconcile, but not the books
    tk = _token(keeper)
    r = _post(client, "/reconcile-external/gl", tk, csv_bytes(GL), **{"from": "2026-01-01", "to": "2026-01-31"})
    assert r.status_code == 403
    Scope.objects.create(user=keeper).warehouses.add(Warehouse.objects.get(code="WH2"))
    r = _post(client, "/reconcile-external/wms", tk, csv_bytes(WMS_OK), as_of="2026-01-31")
    assert r.status_code == 200
    res = r.json()
    assert [e["code"] for e in res["errors"]] == ["not_allowed", "not_allowed"] and res["rows"] == []
    fin = _token(role_user("fin", "财务"))
    other = _post(client, "/reconcile-external/wms", fin, csv_bytes(WMS_OK), as_of="2026-01-31").json()["run"]
    assert client.get(f"/api/reconcile-external/runs/{other}", HTTP_AUTHORIZATION=f"Bearer {tk}").status_code == 403
    ids = [i["id"] for i in client.get("/api/reconcile-external/runs", HTTP_AUTHORIZATION=f"Bearer {tk}").json()["items"]]
    assert ids == [res["run"]]


# -- web --------------------------------------------------------------------------------------------
@pytest.fixture
def web_fin(client, stocked):
    from tests.roles import role_user

    client.force_login(role_user("fin", "财务"))
    return client


def test_web_upload_mapping_result_history(web_fin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = web_fin
    page = c.get("/external/")
    assert page.status_code == 200 and "外部对账" in page.content.decode() and "历史记录" in page.content.decode()
    assert 'href="/external/"' in c.get("/").content.decode()  # the nav link
    data = csv_bytes([["库位", "物料编码", "数量"], ["WH1", "A001", "1.9"]])
    r = c.post("/external/", {"kind": "wms", "as_of": "2026-01-31", "file": SimpleUploadedFile("w.csv", data)})
    html = r.content.decode()
    assert r.status_code == 200 and "字段映射" in html and "保存为映射方案" in html
    assert '<option value="物料编码" selected>' in html and '<option value="数量" selected>' in html
    r = c.post("/external/run/", {"layout": "generic_wms", "col_warehouse": "库位", "col_item": "物料编码", "col_qty": "数量",
                                  "save_mapping": "1", "mapping_name": "我的WMS"})
    assert r.status_code == 302
    run = ExternalRun.objects.get()
    assert r["Location"] == f"/external/runs/{run.pk}/" and run.mapping_name == "我的WMS"
    assert ColumnMapping.objects.get(name="我的WMS").mapping == {"库位": "warehouse", "物料编码": "item", "数量": "qty"}
    html = c.get(r["Location"]).content.decode()
    assert "计量单位错误" in html and "1898.1" in html and "外部文件缺少" in html
    assert f'/external/runs/{run.pk}/' in c.get("/external/").content.decode()
    exp = c.get(f"/external/runs/{run.pk}/export/xlsx/")
    assert exp.status_code == 200 and exp.content[:2] == b"PK"
    exp = c.get(f"/external/runs/{run.pk}/export/csv/")
    assert "计量单位错误" in exp.content.decode("utf-8-sig")


def test_web_gl_and_errors(web_fin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = web_fin
    r = c.post("/external/", {"kind": "gl", "from": "2026-01-01", "to": "2026-01-31", "file": SimpleUploadedFile("g.txt", b"\x00\x01")})
    assert r.status_code == 422 and "不是表格" in r.content.decode()
    r = c.post("/external/", {"kind": "gl", "from": "2026-01-01", "to": "2026-01-31", "file": SimpleUploadedFile("g.csv", csv_bytes(GL))})
    assert r.status_code == 200
    r = c.post("/external/run/", {"layout": "generic_gl", "col_date": "date", "col_account": "account", "col_debit": "debit",
                                  "col_credit": "credit"})  # voucher_no left out → back to the mapping screen
    assert r.status_code == 422 and "凭证号" in r.content.decode()
    r = c.post("/external/run/", {"layout": "generic_gl", "col_date": "date", "col_voucher_no": "voucher_no", "col_account": "account",
                                  "col_debit": "debit", "col_credit": "credit", "col_reference": "reference"})
    assert r.status_code == 302
    html = c.get(r["Location"]).content.decode()
    assert "匹配依据" in html and "按单据编号/凭证号" in html and "未传入外部账" in html


def test_web_kis_dbf_upload(web_fin):
    """A 金蝶 KIS .dbf through the web pages: the mapping screen names the layout and shows the records (GBK text
    decoded, padding trimmed); the run matches the books as the CLI does (test_gl.py)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import dbf_bytes
    from .test_gl import KIS_FIELDS, kis_records

    c = web_fin
    r = c.post("/external/", {"kind": "gl", "from": "2026-01-01", "to": "2026-01-31",
                              "file": SimpleUploadedFile("PZ2026.DBF", dbf_bytes(KIS_FIELDS, kis_records()))})
    html = r.content.decode()
    assert r.status_code == 200 and "金蝶 KIS 凭证引入/引出 DBF" in html and "采购入库(R-001)" in html
    assert '<option value="FDATE" selected>' in html and '<option value="FNUM" selected>' in html
    r = c.post("/external/run/", {"layout": "kingdee_kis_dbf", "col_date": "FDATE", "col_word": "FGROUP", "col_voucher_no": "FNUM",
                                  "col_account": "FACCTID", "col_debit": "FDEBIT", "col_credit": "FCREDIT", "col_summary": "FEXP",
                                  "col_reference": "FREFERENCE"})
    assert r.status_code == 302
    run = ExternalRun.objects.get()
    assert run.file_name == "PZ2026.DBF" and run.layout == "kingdee_kis_dbf"
    assert sorted({row["cause"] for row in run.result["rows"]}) == ["account_mismatch", "amount_mismatch", "external_only"]


def test_web_rights(client, stocked):
    from tests.roles import role_user

    client.force_login(role_user("sales", "销售"))
    assert client.get("/external/").status_code == 403
    client.force_login(role_user("keeper", "仓库"))
    html = client.get("/external/").content.decode()
    assert 'value="wms"' in html and 'value="gl"' not in html
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post("/external/", {"kind": "gl", "from": "2026-01-01", "to": "2026-01-31", "file": SimpleUploadedFile("g.csv", csv_bytes(GL))})
    assert r.status_code == 403


def test_cli_forced_layout_and_wrong_kind_mapping(stocked, tmp_path):
    f = tmp_path / "w.csv"
    f.write_bytes(csv_bytes(WMS_OK))
    code, _, err = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31", "--layout", "kingdee_k3")
    assert code == 2 and "未知的格式" in json.loads(err)["message"]
    code, out, _ = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31", "--layout", "generic_wms")
    assert code == 0 and json.loads(out)["layout"] == "generic_wms"
    cm = ColumnMapping.objects.create(kind="gl", name="财务方案", mapping={"date": "date"})
    code, _, err = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31", "--mapping", str(cm.pk))
    assert code == 2 and "不适用" in json.loads(err)["message"]
    ColumnMapping.objects.create(kind="wms", name="仓库方案", mapping={"仓库": "warehouse", "物料编码": "item", "数量": "qty"})
    code, out, _ = cli("reconcile-external", "wms", str(f), "--as-of", "2026-01-31", "--mapping", "仓库方案")
    res = json.loads(out)  # 单位 not mapped: every quantity is read in the base unit, so B002 300 pcs still agrees
    assert code == 0 and res["rows"] == []


def test_admin_lists_mappings_and_runs(admin_client, stocked):
    from datetime import date

    from stockbook.external.service import ensure_builtin_mappings, run_wms

    ensure_builtin_mappings()
    run_wms(csv_bytes(WMS_OK), as_of=date(2026, 1, 31), file_name="a.csv")
    assert admin_client.get("/admin/external/columnmapping/").status_code == 200
    r = admin_client.get("/admin/external/externalrun/")
    assert r.status_code == 200 and "a.csv" in r.content.decode()
    builtin = ColumnMapping.objects.filter(builtin=True).first()
    assert admin_client.post(f"/admin/external/columnmapping/{builtin.pk}/delete/", {"post": "yes"}).status_code == 403
