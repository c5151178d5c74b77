"""The dashboard's JSON endpoints and page through the Django test client: figures, drill-down links,
data scope (a regional manager sees only her region), field rights (no money without view_cost), bad
parameters (400/403 with a Chinese message) and the auto-refresh version."""
import json
import re

import pytest

from .conftest import PERIOD

ENDPOINTS = ("overview", "by-warehouse", "heatmap", "trend", "details", "my-cases")
MONEY_KEYS = {"gl", "sub", "subledger", "difference", "amount", "unexplained", "reason", "action"}
MONEY_RE = re.compile(r"\d+\.\d\d\b")  # every money string has exactly two decimals; quantities here are whole


def get(client, ep, **q):
    q.setdefault("period", PERIOD)
    r = client.get(f"/dashboard/data/{ep}", q)
    return r, (json.loads(r.content) if r["Content-Type"].startswith("application/json") else None)


def card(body, key):
    return next(c for c in body["cards"] if c["key"] == key)


def keys(obj) -> set:
    if isinstance(obj, dict):
        return set(obj) | set().union(*(keys(v) for v in obj.values()))
    if isinstance(obj, list):
        return set().union(*(keys(v) for v in obj)) if obj else set()
    return set()


@pytest.fixture
def as_(client, users):
    def login(who):
        client.logout()
        client.force_login(users[who])
        return client
    return login


def test_overview_and_charts_show_the_journal_difference(as_):
    c = as_("admin")
    r, ov = get(c, "overview")
    assert r.status_code == 200 and ov["money"] is True
    assert card(ov, "difference")["value"] == "500.00" and card(ov, "difference")["alert"]
    book, stock = card(ov, "book_value")["value"], card(ov, "book_value")["detail"].split()[-1]
    assert float(book) - float(stock) == pytest.approx(500.0)
    assert card(ov, "grni")["value"] == "10540.00"  # 6000 + 1700 + 2440 + 400 received, not invoiced
    assert {p["ledger"] for p in ov["pairs"]} == {"grni", "ar", "ap", "count", "transit"}
    assert card(ov, "matched")["detail"].startswith("6/7")  # E1 × 1405 differs; N1 × 1405 and the five pairs agree

    _, wh = get(c, "by-warehouse")
    rows = {r["warehouse"]["code"]: r for r in wh["rows"]}
    assert set(rows) == {"E1", "N1"}
    assert rows["E1"]["difference"] == "500.00" and not rows["E1"]["matched"]
    assert rows["N1"]["difference"] == "0.00" and rows["N1"]["matched"]
    assert rows["E1"]["qty"] == "270" and rows["N1"]["qty"] == "90"  # 70 kg + 200 m; 40 kg + 50 m

    _, hm = get(c, "heatmap")
    cats = [x["name"] for x in hm["categories"]]
    whs = [x["code"] for x in hm["warehouses"]]
    cell = {(whs[w], cats[k]): v for w, k, v in hm["cells"]}
    assert cell[("E1", "铜材")] == "500.00" and cell[("E1", "电缆")] == "0.00" and cell[("N1", "铜材")] == "0.00"

    _, tr = get(c, "trend")
    assert len(tr["months"]) == 12 and tr["months"][-1] == PERIOD and tr["months"][0] == "2025-02"
    stock = next(s for s in tr["series"] if s["key"] == "stock")
    assert stock["data"][-1] == "500.00" and set(stock["data"][:-1]) == {"0.00"}


def test_drill_down_warehouse_to_items_moves_documents_vouchers(as_, world):
    from stockbook.posting.models import Document

    c = as_("admin")
    r, d = get(c, "details", warehouse="E1")
    assert r.status_code == 200 and d["warehouse"]["code"] == "E1"
    jz = Document.objects.get(ref="JZ-1405")
    diff = next(x for x in d["differences"] if x["cause"] == "manual_journal")
    assert diff["amount"] == "500.00"
    assert diff["documents"] == [{"id": jz.pk, "ref": "JZ-1405", "date": "2026-01-20", "url": f"/documents/{jz.pk}/"}]
    vurl = diff["vouchers"][0]["url"]
    assert re.fullmatch(r"/vouchers/\d+/", vurl)
    # one click each: the document, its voucher
    assert "JZ-1405" in c.get(diff["documents"][0]["url"]).content.decode()
    assert "1405" in c.get(vurl).content.decode()
    # item → its ledger (moves) → the documents there
    items = {x["item"]["code"]: x for x in d["items"]}
    assert set(items) == {"CU01", "CB01"}
    assert items["CU01"]["difference"] == "500.00" and items["CB01"]["difference"] == "0.00"
    assert "item=CU01" in items["CU01"]["ledger_url"] and "warehouse=E1" in items["CU01"]["ledger_url"]
    page = c.get(items["CU01"]["ledger_url"]).content.decode()
    rk = Document.objects.get(ref="RK-E1-01")
    assert f'href="/documents/{rk.pk}/"' in page and "CK-E1-01" in page
    moves = c.get(d["moves_url"]).content.decode()
    assert "RK-E1-01" in moves and "RK-N1-01" not in moves
    # without a warehouse: the warehouse table
    _, all_ = get(c, "details")
    assert all_["warehouse"] is None and {w["warehouse"]["code"] for w in all_["warehouses"]} == {"E1", "N1"}


def test_regional_manager_sees_only_her_region(as_):
    c = as_("east")
    bodies = {}
    for ep in ENDPOINTS:
        r, b = get(c, ep)
        assert r.status_code == 200, (ep, r.content)
        bodies[ep] = b
        text = r.content.decode()
        assert "N1" not in text and "华北" not in text, ep
    assert [r["warehouse"]["code"] for r in bodies["by-warehouse"]["rows"]] == ["E1"]
    assert {c["key"] for c in bodies["overview"]["cards"]} >= {"book_value", "difference"}
    assert not {"grni", "transit"} & {c["key"] for c in bodies["overview"]["cards"]}  # whole-company books: not hers
    assert bodies["overview"]["pairs"] == []
    assert card(bodies["overview"], "difference")["value"] == "500.00"
    assert all(v["url"] is None for x in bodies["details"]["differences"] for v in x["vouchers"])  # vouchers are books
    # the other region, or its warehouse: refused
    for q in ({"warehouse": "N1"}, {"region": "华北"}):
        r, b = get(c, "by-warehouse", **q)
        assert r.status_code == 403 and "数据范围" in b["message"]
    page = c.get("/dashboard/").content.decode()
    assert "华东仓" in page and "华北仓" not in page


@pytest.mark.parametrize("who", ["wh", "sales"])
def test_no_money_without_view_cost(as_, who):
    c = as_(who)
    for ep in ENDPOINTS:
        for q in ({}, {"warehouse": "E1"}):
            r, b = get(c, ep, **q)
            assert r.status_code == 200
            assert b["money"] is False if "money" in b else True
            assert not keys(b) & MONEY_KEYS, (ep, keys(b) & MONEY_KEYS)
            assert not MONEY_RE.search(r.content.decode()), (ep, MONEY_RE.search(r.content.decode()))
    _, ov = get(c, "overview")
    assert card(ov, "stock_qty")["value"] == "360"
    _, wh = get(c, "by-warehouse")
    assert {r["warehouse"]["code"]: r["qty"] for r in wh["rows"]} == {"E1": "270", "N1": "90"}
    _, d = get(c, "details", warehouse="E1")
    assert {x["item"]["code"]: x["qty"] for x in d["items"]} == {"CU01": "70", "CB01": "200"}
    page = c.get("/dashboard/").content.decode()
    assert "仅数量" in page and not re.search(r"\b(500|6000|1700)\.00\b", page)


def test_rights_and_login(client, users):
    from django.contrib.auth.models import User

    r = client.get("/dashboard/data/overview")
    assert r.status_code == 401
    assert client.get("/dashboard/").status_code == 302
    nobody = User.objects.create_user("dash_nobody", password="pw-dash-1")
    client.force_login(nobody)
    r = client.get("/dashboard/data/overview")
    assert r.status_code == 403 and "库存报表" in json.loads(r.content)["message"]
    assert client.get("/dashboard/data/version").status_code == 403
    assert client.get("/dashboard/").status_code == 403


@pytest.mark.parametrize("q,status,msg", [
    ({"period": "2026-13"}, 400, "期间格式"),
    ({"period": "26-01"}, 400, "期间格式"),
    ({"as_of": "2026-02-30"}, 400, "截止日期格式"),
    ({"warehouse": "NOPE"}, 400, "仓库 NOPE 不存在"),
    ({"category": "木材"}, 400, "分类 木材 不存在"),
    ({"supplier": "S99"}, 400, "供应商 S99 不存在"),
    ({"foo": "1"}, 400, "不支持的参数"),
])
def test_bad_parameters_are_400_with_a_chinese_message(as_, q, status, msg):
    c = as_("admin")
    for ep in ENDPOINTS:
        r, b = get(c, ep, **q)
        assert r.status_code == status and msg in b["message"], (ep, r.content)
    r = c.get("/dashboard/", q)
    assert r.status_code == status and msg in r.content.decode()


def test_party_filters_only_for_book_readers(as_):
    r, b = get(as_("wh"), "overview", supplier="S01")
    assert r.status_code == 403 and "供应商" in b["message"]


def test_supplier_customer_and_category_filters(as_):
    c = as_("admin")
    _, ov = get(c, "overview", supplier="S02")
    grni = next(p for p in ov["pairs"] if p["ledger"] == "grni")
    assert grni["gl"] == "2840.00" and grni["party"].startswith("S02")
    assert "ar" not in {p["ledger"] for p in ov["pairs"]}
    assert card(ov, "grni")["value"] == "2840.00"
    _, ov = get(c, "overview", customer="C01")
    assert {p["ledger"] for p in ov["pairs"]} == {"ar"}
    # the journal has no supplier: no difference items for a supplier filter
    _, d = get(c, "details", supplier="S01")
    assert d["differences"] == []
    _, ov = get(c, "overview", category="电缆")
    assert card(ov, "difference")["value"] == "0.00"
    _, ov = get(c, "overview", category="铜材")
    assert card(ov, "difference")["value"] == "500.00"
    _, wh = get(c, "by-warehouse", region="华北")
    assert [r["warehouse"]["code"] for r in wh["rows"]] == ["N1"]
    _, hm = get(c, "heatmap", category="铜材")
    assert [x["name"] for x in hm["categories"]] == ["铜材"]


def test_a_posting_changes_the_version_and_shows_at_once(as_, post_json):
    c = as_("admin")
    for ep in ENDPOINTS:  # the first reads store the engine's results (a new version once)
        get(c, ep)
    v0 = json.loads(c.get("/dashboard/data/version").content)["version"]
    _, wh = get(c, "by-warehouse")
    assert {r["warehouse"]["code"]: r["qty"] for r in wh["rows"]}["N1"] == "90"
    assert json.loads(c.get("/dashboard/data/version").content)["version"] == v0  # reading again changes nothing
    post_json({"type": "purchase_receipt", "ref": "RK-N1-02", "date": "2026-01-25", "supplier": "S01", "warehouse": "N1",
               "lines": [{"item": "CU01", "qty": "10", "unit_price": "60.00"}]})
    assert json.loads(c.get("/dashboard/data/version").content)["version"] != v0
    _, wh = get(c, "by-warehouse")
    assert {r["warehouse"]["code"]: r["qty"] for r in wh["rows"]}["N1"] == "100"
    _, ov = get(c, "overview")
    assert card(ov, "grni")["value"] == "11140.00"


def test_engine_results_are_maintained_not_recomputed(as_):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stockbook.recon.models import Snapshot

    c = as_("admin")
    for _ in range(2):  # the first pass stores the engine's results, which moves the version once more
        for ep in ENDPOINTS:
            get(c, ep)
    n = Snapshot.objects.count()
    stamps = dict(Snapshot.objects.values_list("id", "computed_at"))
    for ep in ENDPOINTS:  # unchanged books: the session, the user's rights, the version — and the memo
        with CaptureQueriesContext(connection) as ctx:
            get(c, ep)
        assert len(ctx) <= 12, (ep, "\n".join(q["sql"][:150] for q in ctx.captured_queries))
    assert Snapshot.objects.count() == n and dict(Snapshot.objects.values_list("id", "computed_at")) == stamps


def test_operation_area_lists_open_cases_red_first(as_, world):
    from datetime import date

    from stockbook.cases import service as cs
    from stockbook.cases.models import Case

    cs.sync(date(2026, 1, 31), auto_certify_past=False)
    assert Case.objects.filter(status=Case.OPEN).exists()
    c = as_("admin")
    _, mc = get(c, "my-cases")
    assert mc["source"] == "cases" and mc["rows"]
    assert mc["rows"][0]["status"] == "open" and mc["rows"][0]["urgent"] and mc["rows"][0]["status_label"] == "待确认"
    ranks = [0 if r["status"] == "open" else 1 for r in mc["rows"]]
    assert ranks == sorted(ranks)
    assert any(r["amount"] == "500.00" for r in mc["rows"])
    _, ov = get(c, "overview")
    assert int(card(ov, "cases_open")["value"]) == len(mc["rows"])
    # warehouse staff: counts, no amounts
    _, mc = get(as_("wh"), "my-cases")
    assert all("amount" not in r for r in mc["rows"])


def _engine_rows(as_of):
    from stockbook.recon import service
    from stockbook.recon.engine import inventory_accounts

    out = {}
    for code in inventory_accounts():
        for r in service.breakdown(f"stock:{code}", as_of, "warehouse,item"):
            out[(code, r["warehouse"]["id"], r["item"]["id"])] = (r["gl"], r["sub"])
    return out


def _cell_rows(as_of):
    from stockbook.core.money import fmt_money
    from stockbook.dashboard import data

    return {(a, w, i): (fmt_money(g), fmt_money(v)) for a, w, i, g, v, q in data.cells(as_of) if g or v}


def _nonzero(rows):
    return {k: v for k, v in rows.items() if v != ("0.00", "0.00")}


def test_cells_are_the_engine_breakdown_kept_up_to_date(world, post_json):
    """The dashboard's maintained cells equal the engine's breakdown by warehouse × item — at first, after a
    new posting, after a backdated one (re-costing correction vouchers), a transfer (no voucher: not a
    difference between warehouses) and a second journal."""
    from datetime import date

    d = date(2026, 1, 31)
    assert _nonzero(_cell_rows(d)) == _nonzero(_engine_rows(d))
    post_json({"type": "purchase_receipt", "ref": "RK-E1-02", "date": "2026-01-29", "supplier": "S02", "warehouse": "E1",
               "lines": [{"item": "CU01", "qty": "20", "unit_price": "66.00"}]})
    assert _nonzero(_cell_rows(d)) == _nonzero(_engine_rows(d))
    post_json({"type": "purchase_receipt", "ref": "RK-N1-03", "date": "2026-01-02", "supplier": "S02", "warehouse": "N1",
               "lines": [{"item": "CB01", "qty": "10", "unit_price": "9.90"}]})  # backdated: later issues re-costed
    post_json({"type": "transfer", "ref": "DB-E1-N1", "date": "2026-01-30", "from": "E1", "to": "N1",
               "lines": [{"item": "CU01", "qty": "5"}]})
    post_json({"type": "journal", "ref": "JZ-1405-2", "date": "2026-01-30", "memo": "调整",
               "lines": [{"account": "1405", "credit": "80.00", "warehouse": "N1", "item": "CB01"}, {"account": "1001", "debit": "80.00"}]})
    rows = _nonzero(_cell_rows(d))
    assert rows == _nonzero(_engine_rows(d))
    # the transfer moved value between warehouses without a voucher: no cell of CU01 shows a difference
    from stockbook.masterdata.models import Item

    cu01 = Item.objects.get(code="CU01").pk
    cu_cells = {k: gv for k, gv in rows.items() if k[2] == cu01}
    from decimal import Decimal

    diffs = {w: Decimal(g) - Decimal(v) for (a, w, i), (g, v) in cu_cells.items()}
    assert sorted(diffs.values()) == [Decimal("0.00"), Decimal("500.00")]  # only the journal JZ-1405 (E1, CU01)
    # a date before the postings is not touched by them
    assert _nonzero(_cell_rows(date(2025, 12, 31))) == {}
