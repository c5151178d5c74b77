"""The prepayment checkbox and the 预收预付冲销 form in Debian's Chromium: ticking 预收款 hides the allocation
grid (its inputs are not sent); on the application form the side switches the party field and the invoices,
the party's open prepayment is shown, 按先后核销 fills the amount from it, and the document posts.
Screenshots go to ``$STOCKBOOK_SCREENSHOTS`` when set (else var/screenshots)."""
import os
from pathlib import Path

from tests.browser import needs_chromium
from tests.web.test_order_scan_browser import page  # noqa: F401 (the fixture)

pytestmark = needs_chromium


def _shot(pg, name):
    d = Path(os.environ.get("STOCKBOOK_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "var" / "screenshots")
    d.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(d / name), full_page=True)


def _books():
    from stockbook.posting.service import post
    from tests.stock.helpers import setup_company

    setup_company(post, credit_limit=None)
    post({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}]})
    post({"type": "sales_delivery", "ref": "XSCK-1", "date": "2026-01-08", "customer": "C01", "warehouse": "WH1",
          "lines": [{"item": "A001", "qty": "12", "unit_price": "100.00"}]})
    for ref, day, q in (("XSFP-1", "09", "10"), ("XSFP-2", "10", "2")):
        post({"type": "sales_invoice", "ref": ref, "date": f"2026-01-{day}", "customer": "C01",
              "lines": [{"delivery": "XSCK-1", "line": 1, "qty": q, "unit_price": "100.00"}]})
    post({"type": "customer_receipt", "ref": "SK-0", "date": "2026-01-05", "customer": "C01", "account": "1002",
          "amount": "1200.00", "prepayment": True})


def test_prepayment_checkbox_hides_the_grid(page):
    _books()
    page.goto(page.base + "/documents/new/customer_receipt/?date=2026-01-20&customer=C01")
    page.wait_for_timeout(300)
    assert page.is_visible("#dgrid") and not page.is_visible("#prepaid-note")
    assert "预收款余额 1,200.00" in page.inner_text("[data-field=customer] .prepaid")
    page.click("#load-invoices")
    page.wait_for_function("document.querySelectorAll('#dgrid tbody tr.dline').length === 2")
    page.check("#h-prepayment")
    assert not page.is_visible("#dgrid") and page.is_visible("#prepaid-note")
    assert page.eval_on_selector_all("#dgrid tbody input", "els => els.every(e => e.disabled)")
    page.fill("#h-amount", "300")
    _shot(page, "prepayment_receipt_form.png")
    page.click("button[name=then][value=view]")
    page.wait_for_url("**/documents/*/")
    assert "预收款（记 2203" in page.inner_text("#prepayment-flag")
    from stockbook.posting.models import Document

    d = Document.objects.get(type="customer_receipt", date="2026-01-20")
    assert d.prepayment and d.amount == 30000 and not d.lines.exists()


def test_application_form(page):
    _books()
    page.goto(page.base + "/documents/new/advance_application/?date=2026-01-20")
    assert page.is_visible("#h-customer") and not page.is_visible("#h-supplier")
    page.select_option("#h-side", "supplier")
    assert page.is_visible("#h-supplier") and not page.is_visible("#h-customer")
    page.fill("#h-supplier", "S01")
    page.dispatch_event("#h-supplier", "change")
    page.wait_for_function("document.querySelector('[data-field=supplier] .prepaid').textContent.length > 0")
    assert "没有未冲销" in page.inner_text("[data-field=supplier] .prepaid")
    page.select_option("#h-side", "customer")
    page.fill("#h-customer", "C01")
    page.dispatch_event("#h-customer", "change")
    page.wait_for_function("document.querySelector('[data-field=customer] .prepaid').textContent.includes('1,200.00')")
    page.click("#load-invoices")
    page.wait_for_function("document.querySelectorAll('#dgrid tbody tr.dline').length === 2")
    page.click("#auto-alloc")
    page.wait_for_function("document.querySelector('#h-amount').value !== ''")
    assert page.input_value("#h-amount") == "1200.00"  # 1,130.00 to XSFP-1, 70.00 to XSFP-2
    allocs = page.eval_on_selector_all("#dgrid tbody [name=alloc_amount]", "els => els.map(e => e.value)")
    assert allocs == ["1130.00", "70.00"]
    _shot(page, "advance_application_form.png")
    page.click("button[name=then][value=view]")
    page.wait_for_url("**/documents/*/")
    assert "预收冲应收" in page.inner_text("#application-side")
    _shot(page, "advance_application_page.png")
    from stockbook.posting.models import Document

    app = Document.objects.get(type="advance_application")
    assert app.amount == 120000 and app.customer.code == "C01" and app.supplier is None
    assert sorted(app.lines.values_list("amount", flat=True)) == [7000, 113000]


def test_application_error_on_its_line(page):
    _books()
    page.goto(page.base + "/documents/new/advance_application/?date=2026-01-20&customer=C01")
    page.click("#load-invoices")
    page.wait_for_function("document.querySelectorAll('#dgrid tbody tr.dline').length === 2")
    page.fill("#h-amount", "500")
    page.locator("#dgrid tbody [name=alloc_amount]").nth(0).fill("100")
    page.locator("#dgrid tbody [name=alloc_amount]").nth(1).fill("300")  # XSFP-2 is open 226.00
    page.click("button[name=then][value=view]")
    page.wait_for_selector("tr.line-error")
    assert page.locator("tr.line-error").count() == 1
    assert "超过发票 XSFP-2 未核销金额 226.00" in page.inner_text("tr.line-error")
    assert page.locator("#dgrid tbody tr.dline").nth(1).get_attribute("class") == "dline line-error"
    _shot(page, "advance_application_error.png")
