"""Stock report pages (库存余额, 收发存汇总表, 存货明细账, 出入库流水) and 账实核对 over the basic-fifo scenario:
figures, filters, exports with the right content type, and drill-down links that resolve."""
import io
import re
from html import unescape

import pytest

from stockbook.posting.models import Document
from tests.conftest import SHARED

SCENARIO = SHARED / "scenarios" / "basic-fifo.jsonl"


@pytest.fixture
def fifo(db):
    from stockbook.interchange.importer import import_file

    import_file(str(SCENARIO), out=io.StringIO(), err=io.StringIO())


def _links(html, prefix):
    return sorted({unescape(h) for h in re.findall(r'href="([^"]+)"', html) if h.startswith(prefix)})


def test_stock_balance_page(web, fifo):
    html = web.get("/reports/stock/stock-balance/?as_of=2026-01-31").content.decode()
    assert "库存余额表" in html and "截至 2026-01-31" in html
    assert "铜线 BV2.5" in html and "上海主仓" in html
    links = _links(html, "/reports/stock/item-ledger/?")
    assert any("item=CU01" in h and "warehouse=WH1" in h for h in links)
    for h in links[:3]:
        assert web.get(h).status_code == 200


def test_stock_balance_filters(web, fifo):
    html = web.get("/reports/stock/stock-balance/?as_of=2026-01-31&warehouse=WH2").content.decode()
    assert "苏州分仓" in html and "上海主仓" not in html.split("<tbody>")[1]
    html = web.get("/reports/stock/stock-balance/?as_of=2026-01-31&item=CU01").content.decode()
    body = html.split("<tbody>")[1]
    assert "CU01" in body and "ZC01" not in body
    assert "不存在" in web.get("/reports/stock/stock-balance/?as_of=2026-01-31&item=NOPE").content.decode()
    j = web.get("/reports/stock/stock-balance/export/json/?as_of=2026-01-31&item=CU01").json()
    assert {r["item"] for r in j["rows"]} == {"CU01"}


def test_stock_balance_pending_flag(web, post_json):
    from tests.conftest import COMPANY

    post_json({**COMPANY, "costing_method": "monthly_average"})
    post_json({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post_json({"type": "item", "code": "A001", "name": "铜线", "uom": "kg"})
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "10", "amount": "100.00"}]})
    html = web.get("/reports/stock/stock-balance/?as_of=2026-01-15").content.decode()
    assert "待结转" in html.split("<tbody>")[1]


def test_stock_summary_page(web, fifo):
    html = web.get("/reports/stock/stock-summary/?from=2026-01-01&to=2026-01-31").content.decode()
    assert "收发存汇总表" in html and "期初数量" in html
    links = _links(html, "/reports/stock/item-ledger/?")
    assert links and all("from=2026-01-01" in h and "to=2026-01-31" in h for h in links)
    html = web.get("/reports/stock/stock-summary/?from=2026-01-01&to=2026-01-31&warehouse=WH2").content.decode()
    assert "上海主仓" not in html.split("<tbody>")[1]


def test_item_ledger_drills_to_documents(web, fifo):
    html = web.get("/reports/stock/item-ledger/?item=CU01&warehouse=WH1&from=2026-01-01&to=2026-01-31").content.decode()
    assert "存货明细账 CU01" in html and "期初结存" in html
    docs = _links(html, "/documents/")
    assert len(docs) >= 3
    receipt = Document.objects.get(type="purchase_receipt", ref="CGRK-202601-001")
    assert f"/documents/{receipt.pk}/" in docs
    for h in docs:
        assert web.get(h).status_code == 200
    page = web.get(f"/documents/{receipt.pk}/").content.decode()
    vouchers = _links(page, "/vouchers/")
    assert vouchers and all(web.get(h).status_code == 200 for h in vouchers)


def test_item_ledger_needs_item(web, fifo):
    html = web.get("/reports/stock/item-ledger/").content.decode()
    assert "请选择存货查看明细账" in html
    assert web.get("/reports/stock/item-ledger/export/csv/?from=2026-01-01&to=2026-01-31").status_code == 422


def test_moves_page(web, fifo):
    html = web.get("/reports/stock/moves/?from=2026-01-01&to=2026-02-28&item=ZC01").content.decode()
    assert "出入库流水" in html and "销售出库" in html and "报废" in html
    body = html.split("<tbody>")[1]
    assert "CU01" not in body
    docs = _links(html, "/documents/")
    assert docs and all(web.get(h).status_code == 200 for h in docs)


def test_reconcile_page(web, fifo):
    html = web.get("/reports/stock/reconcile/?as_of=2026-01-31").content.decode()
    assert "账实核对" in html and "手工凭证" in html
    journal = Document.objects.get(type="journal", ref="JZ-202601-002")
    assert f'href="/documents/{journal.pk}/">JZ-202601-002</a>' in html
    assert "/reports/detail-ledger/?account=1405" in html
    for h in _links(html, "/reports/"):
        assert web.get(h).status_code == 200, h


def test_reconcile_unexplained_highlighted(web, fifo, monkeypatch):
    from stockbook.reports import reconcile

    real = reconcile.reconcile_rows

    def fake(as_of):
        rows = real(as_of)
        rows[0] = {**rows[0], "difference": rows[0]["difference"] + 100, "unexplained": rows[0]["unexplained"] + 100}
        return rows

    monkeypatch.setattr(reconcile, "reconcile_rows", fake)
    html = web.get("/reports/stock/reconcile/?as_of=2026-01-31").content.decode()
    assert html.count('class="recon-bad"') == 1 and '<strong class="bad">1.00</strong>' in html


@pytest.mark.parametrize("name,query,first", [
    ("stock-balance", "as_of=2026-01-31", "存货编码"),
    ("stock-summary", "from=2026-01-01&to=2026-01-31", "存货编码"),
    ("item-ledger", "item=CU01&from=2026-01-01&to=2026-01-31", "日期"),
    ("moves", "from=2026-01-01&to=2026-01-31", "日期"),
    ("reconcile", "as_of=2026-01-31", "对账项目"),
])
@pytest.mark.parametrize("fmt,ctype,magic", [
    ("csv", "text/csv; charset=utf-8", None),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
    ("pdf", "application/pdf", b"%PDF"),
    ("json", "application/json; charset=utf-8", b"{"),
])
def test_exports(web, fifo, name, query, first, fmt, ctype, magic):
    r = web.get(f"/reports/stock/{name}/export/{fmt}/?{query}")
    assert r.status_code == 200
    assert r["Content-Type"] == ctype
    assert r["Content-Disposition"].startswith("attachment") and f".{fmt}" in r["Content-Disposition"]
    if fmt == "csv":
        assert r.content.decode("utf-8-sig").startswith(first)
    else:
        assert r.content.startswith(magic)
    if fmt == "json":
        assert r.json()["report"] == name


def test_export_links_on_pages(web, fifo):
    html = web.get("/reports/stock/stock-summary/?from=2026-01-01&to=2026-01-31&warehouse=WH1").content.decode()
    assert "/reports/stock/stock-summary/export/xlsx/?from=2026-01-01&amp;to=2026-01-31&amp;warehouse=WH1" in html
    assert web.get("/reports/stock/nope/").status_code == 404
    assert web.get("/reports/stock/moves/export/exe/").status_code == 404


def test_nav_has_stock_section(web, fifo):
    html = web.get("/").content.decode()
    for url in ["/documents/", "/documents/new/", "/reports/stock/stock-balance/", "/reports/stock/stock-summary/",
                "/reports/stock/item-ledger/", "/reports/stock/moves/", "/reports/stock/reconcile/"]:
        assert f'href="{url}"' in html
    assert "库存余额" in html and "账实核对" in html
