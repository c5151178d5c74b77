"""ar-aging / ap-aging / statement through the CLI (exit codes), REST and the web pages, with access rules:
view_documents + view_price (a 仓库 user gets nothing), a scoped user only the parties of her regions."""
import io
import json
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout

import pytest
from django.test import Client

from stockbook.cli import main
from tests.roles import role_user

pytestmark = pytest.mark.django_db


def cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def world(arap):
    """C01 (region EAST): SI1 01-10 113.00; C02 (NORTH): SI2 02-10 226.00; S01: PI1 01-10 113.00."""
    from stockbook.masterdata.models import Customer, Region, Supplier

    east, north = Region.objects.create(code="EAST", name="华东"), Region.objects.create(code="NORTH", name="华北")
    Customer.objects.filter(code="C01").update(region=east)
    Customer.objects.filter(code="C02").update(region=north)
    Supplier.objects.filter(code="S01").update(region=east)
    arap.sale("SI1", "2026-01-10", "100.00")
    arap.sale("SI2", "2026-02-10", "200.00", customer="C02")
    arap.purchase("PI1", "2026-01-10", "100.00")
    return east, north


def test_cli_json_exact(world):
    rc, out, err = cli("report", "ar-aging", "--as-of", "2026-03-31", "--format", "json")
    assert rc == 0, err
    assert out == ('{"report": "ar-aging", "as_of": "2026-03-31", "rows": ['
                   '{"customer": "C01", "total": "113.00", "0-30": "0.00", "31-60": "0.00", "61-90": "113.00", "91-180": "0.00", "181+": "0.00"}, '
                   '{"customer": "C02", "total": "226.00", "0-30": "0.00", "31-60": "226.00", "61-90": "0.00", "91-180": "0.00", "181+": "0.00"}]}\n')
    rc, out, _ = cli("report", "ap-aging", "--as-of", "2026-03-31", "--format", "json")
    assert rc == 0 and json.loads(out)["rows"] == [
        {"supplier": "S01", "total": "113.00", "0-30": "0.00", "31-60": "0.00", "61-90": "113.00", "91-180": "0.00", "181+": "0.00"}]
    rc, out, _ = cli("report", "ar-aging", "--as-of", "2026-03-31", "--region", "NORTH", "--format", "json")
    assert rc == 0 and [r["customer"] for r in json.loads(out)["rows"]] == ["C02"]
    rc, out, _ = cli("report", "ar-aging", "--as-of", "2026-03-31")  # table
    assert rc == 0 and "应收账款账龄分析表" in out and "339.00" in out


@pytest.mark.parametrize("argv, code", [
    (("report", "ar-aging"), "invalid_value"),
    (("report", "ar-aging", "--as-of", "2026-03-31", "--customer", "NOPE"), "unknown_party"),
    (("report", "statement", "--customer", "NOPE", "--from", "2026-01-01", "--to", "2026-01-31"), "unknown_party"),
    (("report", "statement", "--customer", "C01", "--from", "2026-02-01", "--to", "2026-01-31"), "invalid_value"),
    (("report", "statement", "--from", "2026-01-01", "--to", "2026-01-31"), "invalid_value"),
])
def test_cli_bad_input_exit_2(world, argv, code):
    rc, out, err = cli(*argv, "--format", "json")
    assert rc == 2 and out == ""
    assert json.loads(err)["error"] == code


def test_cli_bad_date_exit_2(world):
    rc, out, err = cli("report", "ar-aging", "--as-of", "2026-13-40")
    assert rc == 2 and "not a date" in err


def test_cli_statement_files(world, tmp_path):
    rc, out, err = cli("report", "statement", "--customer", "C01", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json")
    assert rc == 0, err
    data = json.loads(out)
    assert (data["opening"], data["closing"], data["aging"]["61-90"]) == ("0.00", "113.00", "113.00")
    x = tmp_path / "st.xlsx"
    rc, _, err = cli("report", "statement", "--customer", "C01", "--from", "2026-01-01", "--to", "2026-03-31",
                     "--format", "xlsx", "--output", str(x))
    assert rc == 0, err
    from openpyxl import load_workbook

    assert "客户对账单" in str(load_workbook(x).active["A1"].value)
    if shutil.which("pdftotext"):
        f = tmp_path / "st.pdf"
        rc, _, err = cli("report", "statement", "--supplier", "S01", "--from", "2026-01-01", "--to", "2026-03-31",
                         "--format", "pdf", "-o", str(f))
        assert rc == 0, err
        text = subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, check=True).stdout.decode()
        assert "供应商对账单" in text and "PI1" in text and "113.00" in text


def _api(user):
    from stockbook.users.models import ApiToken

    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 't')[1]}")


def test_rest(world):
    fin = role_user("fin", "财务")
    r = _api(fin).get("/api/reports/ar-aging?as_of=2026-03-31")
    assert r.status_code == 200 and [x["customer"] for x in r.json()["rows"]] == ["C01", "C02"]
    assert r.json()["rows"][0]["61-90"] == "113.00"
    r = _api(fin).get("/api/reports/statement?customer=C02&from=2026-01-01&to=2026-03-31")
    assert r.status_code == 200 and r.json()["closing"] == "226.00"
    r = _api(fin).get("/api/reports/ar-aging?as_of=2026-03-31&format=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = _api(fin).get("/api/reports/ar-aging?as_of=2026-03-31&customer=NOPE")
    assert r.status_code == 422 and r.json()["error"] == "unknown_party"
    r = _api(fin).get("/api/reports/ar-aging")
    assert r.status_code == 422 and r.json()["error"] == "invalid_value"


def test_sales_without_cost_sees_amounts(world):
    """销售 has view_price but not view_cost: aging amounts are document amounts, so they stay."""
    r = _api(role_user("sales", "销售")).get("/api/reports/ar-aging?as_of=2026-03-31")
    assert r.status_code == 200 and r.json()["rows"][1]["total"] == "226.00" and "hidden" not in r.json()


def test_warehouse_user_gets_no_money(world):
    wh = role_user("wh", "仓库")
    for url in ("/api/reports/ar-aging?as_of=2026-03-31", "/api/reports/ap-aging?as_of=2026-03-31",
                "/api/reports/statement?customer=C01&from=2026-01-01&to=2026-03-31"):
        r = _api(wh).get(url)
        assert r.status_code == 403 and r.json()["error"] == "not_allowed", url
    web = Client()
    web.force_login(wh)
    for url in ("/arap/aging/ar/?as_of=2026-03-31", "/arap/aging/ap/export/xlsx/?as_of=2026-03-31",
                "/arap/aging/ar/items/?as_of=2026-03-31&party=C01", "/arap/statement/?party=C01"):
        r = web.get(url)
        assert r.status_code == 403 and "113.00" not in r.content.decode(), url
    home = web.get("/").content.decode()
    assert "应收账龄" not in home


def test_scoped_user_sees_her_regions_parties_only(world):
    from stockbook.access.models import Scope

    east, _ = world
    mgr = role_user("mgr", "区域经理")
    Scope.objects.create(user=mgr).regions.add(east)
    r = _api(mgr).get("/api/reports/ar-aging?as_of=2026-03-31")
    assert r.status_code == 200 and [x["customer"] for x in r.json()["rows"]] == ["C01"]
    r = _api(mgr).get("/api/reports/ar-aging?as_of=2026-03-31&customer=C02")
    assert r.status_code == 403 and r.json()["error"] == "not_allowed"
    r = _api(mgr).get("/api/reports/statement?customer=C02&from=2026-01-01&to=2026-03-31")
    assert r.status_code == 403
    web = Client()
    web.force_login(mgr)
    page = web.get("/arap/aging/ar/?as_of=2026-03-31").content.decode()
    assert "C01" in page and "C02" not in page and "226.00" not in page
    assert web.get("/arap/aging/ar/items/?as_of=2026-03-31&party=C02").status_code == 403
    st = web.get("/arap/statement/?party_type=customer&party=C02&from=2026-01-01&to=2026-03-31").content.decode()
    assert "226.00" not in st and "数据范围" in st


def test_web_pages(world):
    web = Client()
    web.force_login(role_user("fin", "财务"))
    home = web.get("/").content.decode()
    assert "应收账龄" in home and "往来对账单" in home
    page = web.get("/arap/aging/ar/?as_of=2026-03-31").content.decode()
    assert "应收账款账龄分析表" in page and "339.00" in page
    # the 61-90 cell of C01 drills to SI1
    assert "/arap/aging/ar/items/?as_of=2026-03-31&amp;party=C01&amp;bucket=61-90" in page
    items = web.get("/arap/aging/ar/items/?as_of=2026-03-31&party=C01&bucket=61-90").content.decode()
    assert "SI1" in items and "113.00" in items and "80" in items
    assert "SI1" not in web.get("/arap/aging/ar/items/?as_of=2026-03-31&party=C01&bucket=0-30").content.decode()
    r = web.get("/arap/aging/ar/items/?as_of=2026-03-31&party=C01&bucket=nope")
    assert r.status_code == 422
    ap = web.get("/arap/aging/ap/?as_of=2026-03-31&party=S01").content.decode()
    assert "应付账款账龄分析表" in ap and "113.00" in ap
    bad = web.get("/arap/aging/ar/?as_of=2026-99-01")
    assert bad.status_code == 200 and "日期格式不正确" in bad.content.decode()
    assert web.get("/arap/aging/zz/").status_code == 404
    r = web.get("/arap/aging/ar/export/xlsx/?as_of=2026-03-31")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    st = web.get("/arap/statement/?party_type=customer&party=C01&from=2026-01-01&to=2026-03-31").content.decode()
    assert "客户对账单" in st and "期末余额" in st and "113.00" in st and "/arap/statement/export/pdf/" in st
    r = web.get("/arap/statement/export/pdf/?party_type=customer&party=C01&from=2026-01-01&to=2026-03-31")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = web.get("/arap/statement/export/xlsx/?party_type=customer&party=NOPE&from=2026-01-01&to=2026-03-31")
    assert r.status_code == 422 and "NOPE" in r.content.decode()
    empty = web.get("/arap/statement/").content.decode()
    assert "选择客户或供应商" in empty
