"""Trial balance, ledgers with drill-down, and exports."""
import pytest

from stockbook.ledger.models import Voucher

RANGE = "from=2026-01-01&to=2026-01-31"


def test_trial_balance_page_shows_figures(web, books):
    html = web.get(f"/reports/trial-balance/?{RANGE}").content.decode()
    assert "发生额及余额表" in html
    assert "105000.00" in html  # 3001 opening credit
    assert "800.00" in html and "4200.00" in html  # 1001: opening 5000, credit 800, closing 4200
    assert "/reports/detail-ledger/?from=2026-01-01&amp;to=2026-01-31&amp;account=1001" in html


def test_trial_balance_level_filter(web, books):
    html = web.get(f"/reports/trial-balance/?{RANGE}&level=1").content.decode()
    assert ">5602</a>" in html and ">560201</a>" not in html
    assert ">560201</a>" in web.get(f"/reports/trial-balance/?{RANGE}").content.decode()


def test_drill_down_trial_balance_to_voucher(web, books):
    v = Voucher.objects.get(kind="normal")
    html = web.get(f"/reports/detail-ledger/?{RANGE}&account=1001").content.decode()
    assert "明细账" in html and "记-2026-01-0001" in html
    assert f'href="/vouchers/{v.pk}/"' in html
    html = web.get(f"/reports/general-ledger/?{RANGE}&account=1001").content.decode()
    assert "总账" in html and "/reports/detail-ledger/" in html


def test_ledger_needs_account(web, books):
    html = web.get("/reports/detail-ledger/").content.decode()
    assert "请选择会计科目" in html
    html = web.get("/reports/detail-ledger/?account=8888&" + RANGE).content.decode()
    assert "8888" in html and "msg error" in html


@pytest.mark.parametrize("fmt,ctype,magic", [
    ("csv", "text/csv; charset=utf-8", "\ufeff科目编码".encode()),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ("pdf", "application/pdf", b"%PDF"),
    ("json", "application/json; charset=utf-8", b'{"report": "trial-balance"'),
])
def test_trial_balance_exports(web, books, fmt, ctype, magic):
    r = web.get(f"/reports/trial-balance/export/{fmt}/?{RANGE}")
    assert r.status_code == 200
    assert r["Content-Type"] == ctype
    assert r.content.startswith(magic)
    assert f'filename="trial-balance_2026-01-01_2026-01-31.{fmt}"' in r["Content-Disposition"]
    assert r["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("name", ["general-ledger", "detail-ledger"])
def test_ledger_exports(web, books, name):
    r = web.get(f"/reports/{name}/export/csv/?{RANGE}&account=1001")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv; charset=utf-8"
    assert "1001" in r["Content-Disposition"]


def test_export_unknown_format(web, books):
    assert web.get(f"/reports/trial-balance/export/exe/?{RANGE}").status_code == 404
