"""The dashboard in a real browser: Debian's Chromium (``/usr/bin/chromium``, never a downloaded one)
driven by Playwright against pytest-django's live server.

- the charts render with data (ECharts instances with their series, canvases drawn);
- a click on a warehouse bar opens that warehouse's detail, whose links lead to the documents,
  the voucher and the item ledger — each one click away;
- a regional manager's dashboard shows only her region's warehouse;
- a phone-sized viewport is usable: one column, no sideways scrolling, the filter panel folds, a tap on a
  bar drills down;
- a posting made while the page is open shows within 5 s (auto-refresh).

Screenshots go to ``$STOCKBOOK_SCREENSHOTS`` when set (docs/screenshots/ holds the reviewed ones)."""
import os
import time
from pathlib import Path

import pytest

from tests.browser import chromium, needs_chromium

pytestmark = needs_chromium

SHOTS = os.environ.get("STOCKBOOK_SCREENSHOTS")
PERIOD = "2026-01"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:  # restored when the module ends
        yield b


@pytest.fixture
def open_as(transactional_db, live_server, browser, users):
    """open_as(who, path, phone=False) → a Playwright page logged in as that user (a session cookie)."""
    from django.test import Client

    pages = []

    def go(who, path=f"/dashboard/?period={PERIOD}", phone=False):
        c = Client()
        c.force_login(users[who])
        if phone:
            ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True, has_touch=True,
                                      locale="zh-CN")
        else:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        ctx.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        page.goto(live_server.url + path)
        wait_loaded(page)
        pages.append(ctx)
        return page

    yield go
    for ctx in pages:
        ctx.close()
    # let the server finish what the pages had already sent (a poll, say) while the database is still open:
    # the in-memory SQLite server answers in order, so one more request returns after them
    import urllib.request

    urllib.request.urlopen(live_server.url + "/static/dashboard/dashboard.css", timeout=30).read()
    time.sleep(0.2)


def wait_loaded(page):
    page.wait_for_selector("#dash[data-loaded='1']", timeout=20000)


def shot(page, name, full=True, element=None):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1500)  # the charts' entry animations
        path = str(Path(SHOTS) / f"{name}.png")
        if element:
            page.locator(element).screenshot(path=path)
            return
        if full:
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=path, full_page=full)


@pytest.fixture
def cases(world):
    """The cases app synced with the engine for January: the 500.00 journal difference becomes a case."""
    from datetime import date

    from stockbook.cases import service as cs

    cs.sync(date(2026, 1, 31), auto_certify_past=False)


def series(page, chart_id):
    return page.evaluate(f"echarts.getInstanceByDom(document.getElementById('{chart_id}')).getOption().series")


def open_warehouse(page, code, attempts=3):
    """Click the warehouse's bar and wait for its detail. The page re-renders its charts when auto-refresh
    sees a new books version (and after going back in history); a click that lands during that re-render
    finds no bar, so a real click is tried again — it must open the detail within three tries."""
    from playwright.sync_api import TimeoutError as PwTimeout

    for n in range(attempts):
        wait_loaded(page)
        click_bar(page, code)
        try:
            page.wait_for_selector(f"#dash[data-detail='{code}']", timeout=10000)
            return
        except PwTimeout:
            if n == attempts - 1:
                raise


def click_bar(page, code):
    """A real mouse click (a tap on phones) in the warehouse's column of the bar chart."""
    idx = page.evaluate("(code) => stockbookDashboard.state.whRows.findIndex(r => r.warehouse.code === code)", code)
    assert idx >= 0, code
    x, y = page.evaluate("""(idx) => {
        const c = echarts.getInstanceByDom(document.getElementById('chart-wh'));
        const v = c.getOption().series[0].data[idx].value;
        const p = c.convertToPixel({seriesIndex: 0}, [idx, v / 2]);
        return p; }""", idx)
    box = page.locator("#chart-wh canvas").first.bounding_box()
    page.locator("#chart-wh").scroll_into_view_if_needed()
    box = page.locator("#chart-wh canvas").first.bounding_box()
    if page.context.pages and page.viewport_size["width"] < 700:
        page.touchscreen.tap(box["x"] + x, box["y"] + y)
    else:
        page.mouse.click(box["x"] + x, box["y"] + y)


def test_charts_render_with_data(open_as, cases):
    page = open_as("admin")
    for cid in ("chart-wh", "chart-heat", "chart-trend"):
        assert page.locator(f"#{cid} canvas").count() >= 1, cid
    bars = series(page, "chart-wh")[0]["data"]
    assert [b["value"] for b in bars] == [500, 0]
    heat = series(page, "chart-heat")[0]["data"]
    assert [0 if False else v for v in heat] and any(v[2] == 500 for v in heat)
    trend = series(page, "chart-trend")
    assert len(trend[0]["data"]) == 12 and trend[0]["data"][-1] == 500
    # the canvas is really drawn on: not a single colour
    assert page.evaluate("""() => { const cv = document.querySelector('#chart-wh canvas');
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data; const s = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) s.add(d[i] + ',' + d[i+1] + ',' + d[i+2]); return s.size; }""") > 5
    assert page.locator(".card[data-key=difference] .n").inner_text() == "500.00"
    assert page.locator(".card[data-key=book_value]").count() == 1
    # the operation area: the open case first, in red
    first = page.locator("#dash-cases li.case").first
    assert "urgent" in first.get_attribute("class") and "待确认" in first.inner_text() and "500.00" in first.inner_text()
    assert page.errors == []
    shot(page, "dashboard-desktop")


def test_click_on_a_bar_drills_down_to_documents_and_vouchers(open_as, world):
    from stockbook.posting.models import Document

    page = open_as("admin")
    open_warehouse(page, "E1")
    assert "E1 华东仓" in page.locator("#dash-detail-title").inner_text()
    body = page.locator("#dash-detail-body")
    assert body.locator("a.doc-link", has_text="JZ-1405").count() == 1
    assert body.locator("a.item-ledger").count() == 2
    shot(page, "dashboard-drilldown")
    # one click: the journal's document page
    jz = Document.objects.get(ref="JZ-1405")
    body.locator("a.doc-link", has_text="JZ-1405").click()
    page.wait_for_url(f"**/documents/{jz.pk}/")
    assert "JZ-1405" in page.content()
    page.go_back()
    wait_loaded(page)
    open_warehouse(page, "E1")
    # one click: the voucher
    page.locator("#dash-detail-body a.voucher-link").first.click()
    page.wait_for_url("**/vouchers/*/")
    assert "1405" in page.content()
    page.go_back()
    wait_loaded(page)
    open_warehouse(page, "E1")
    # one click: the item's ledger (its moves), whose documents are links
    page.locator("#dash-detail-body tr", has_text="CU01").locator("a.item-ledger").click()
    page.wait_for_url("**/reports/stock/item-ledger/**")
    rk = Document.objects.get(ref="RK-E1-01")
    link = page.locator(f"a[href='/documents/{rk.pk}/']").first
    assert link.count() == 1
    link.click()
    page.wait_for_url(f"**/documents/{rk.pk}/")
    assert "RK-E1-01" in page.content()


def test_regional_manager_sees_only_her_warehouses(open_as, cases):
    page = open_as("east")
    bars = series(page, "chart-wh")[0]["data"]
    assert len(bars) == 1
    assert page.evaluate("stockbookDashboard.state.whRows.map(r => r.warehouse.code)") == ["E1"]
    text = page.locator("main").inner_text()
    assert "华东仓" in text and "华北仓" not in text and "N1" not in text
    options = page.locator("#f-warehouse option").all_inner_texts()
    assert options[1:] == ["E1 华东仓"]
    assert page.locator(".card[data-key=grni]").count() == 0  # the whole-company books are not hers
    assert page.errors == []
    shot(page, "dashboard-regional-manager")


def test_warehouse_staff_see_quantities_only(open_as):
    import re

    page = open_as("wh")
    text = page.locator("main").inner_text()
    assert "库存数量合计" in text and not re.search(r"\d\.\d\d\b", text)
    assert [b["value"] for b in series(page, "chart-wh")[0]["data"]] == [270, 90]
    shot(page, "dashboard-warehouse-staff")


def test_phone_layout_is_usable(open_as, cases):
    page = open_as("admin", phone=True)
    width = page.evaluate("window.innerWidth")
    assert width == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    cols = page.evaluate("getComputedStyle(document.getElementById('dash')).gridTemplateColumns").split()
    assert len(cols) == 1
    for cid in ("chart-wh", "chart-heat", "chart-trend"):
        box = page.locator(f"#{cid}").bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= width and box["height"] >= 200, (cid, box)
    # the filter panel starts folded and opens with a tap; its controls are finger-sized
    assert page.locator("#dash-filters-box").get_attribute("open") is None
    shot(page, "dashboard-phone", full=False)
    page.locator("#dash-filters-box summary").tap()
    sel = page.locator("#f-warehouse")
    assert sel.is_visible() and sel.bounding_box()["height"] >= 40
    page.locator("#dash-filters-box summary").tap()
    # a tap on the bar drills down
    open_warehouse(page, "E1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.errors == []
    shot(page, "dashboard-phone-detail", element="#dash-detail")


def test_a_posting_shows_within_5_seconds(open_as, post_json):
    page = open_as("admin")
    assert page.evaluate("stockbookDashboard.state.whRows.find(r => r.warehouse.code === 'N1').qty") == "90"
    time.sleep(2.5)  # let the first poll settle (the first reads stored the engine's results)
    t0 = time.monotonic()
    post_json({"type": "purchase_receipt", "ref": "RK-N1-09", "date": "2026-01-28", "supplier": "S01", "warehouse": "N1",
               "lines": [{"item": "CU01", "qty": "5", "unit_price": "60.00"}]})
    page.wait_for_function("stockbookDashboard.state.whRows.find(r => r.warehouse.code === 'N1').qty === '95'", timeout=5000)
    assert time.monotonic() - t0 < 5
