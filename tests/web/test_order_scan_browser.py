"""Scan-to-count on the order pages (web/static/web/order_scan.js) in Debian's Chromium: on the receipt page of
a purchase order and the delivery page of a sales order, 全部清零 then two scans of A001 (an item code scans like
its barcode) leave 2 on A001's line and 0 on the other; an unknown code says so and changes nothing."""
import pytest

from tests.browser import chromium, needs_chromium

pytestmark = needs_chromium


@pytest.fixture
def page(transactional_db, live_server, user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    with chromium() as b:
        ctx = b.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        ctx.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
        pg = ctx.new_page()
        pg.base = live_server.url
        pg.user = user
        yield pg
        ctx.close()


def _books():
    from stockbook.posting.service import post
    from tests.stock.helpers import setup_company

    setup_company(post, credit_limit=None)
    post({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1",
          "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}, {"item": "B002", "qty": "100", "amount": "500.00"}]})


def _scan_twice_and_miss(page, path):
    page.goto(page.base + path)
    page.click("#zero")
    for code in ("A001", "A001", "NO-SUCH-CODE"):
        page.fill("#scan", code)
        page.press("#scan", "Enter")
        page.wait_for_timeout(300)
    page.wait_for_function("document.querySelector('#scan-msg').textContent.length > 0")
    rows = page.eval_on_selector_all("#lines tbody tr", "rs => rs.map(r => [r.dataset.item, r.querySelector('.qty').value])")
    return dict(rows), page.text_content("#scan-msg")


def test_receipt_page_counts_scans(page):
    from stockbook.purchasing import services

    _books()
    po = services.create_order({"supplier": "S01", "warehouse": "WH1", "order_date": "2026-01-05",
                                "lines": [{"item": "A001", "qty": "10", "unit_price": "10.00"},
                                          {"item": "B002", "qty": "5", "unit_price": "5.00"}]}, user=page.user)
    services.submit(po, user=page.user)
    qty, msg = _scan_twice_and_miss(page, f"/purchasing/orders/{po.pk}/receive/")
    assert qty == {"A001": "2", "B002": "0"}
    assert msg  # the unknown code is reported


def test_delivery_page_counts_scans(page):
    from stockbook.sales import service

    _books()
    so = service.create_order({"customer": "C02", "warehouse": "WH1", "date": "2026-01-05",
                               "lines": [{"item": "A001", "qty": "10", "unit_price": "20.00"},
                                         {"item": "B002", "qty": "5", "unit_price": "9.00"}]}, user=page.user)
    service.confirm(so, user=page.user)
    qty, msg = _scan_twice_and_miss(page, f"/sales/orders/{so.no}/deliver/")
    assert qty == {"A001": "2", "B002": "0"}
    assert msg
