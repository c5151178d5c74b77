"""Panels other apps add to the document page (stockbook/web/panels.py)."""
from stockbook.posting.models import Document
from stockbook.web import panels


def test_a_registered_panel_shows_on_the_document_page(web, books):
    doc = Document.objects.get(type="journal", ref="JZ-0001")

    def order_panel(d, user):
        if d.type != "journal":
            return None
        return panels.Panel("来源订单", ["订单", "行"], [[("CGDD-0001", "/purchasing/orders/1/"), "1"]], note="示例")

    def empty_panel(d, user):
        return panels.Panel("空面板", ["x"], [])

    panels.register(order_panel)
    panels.register(empty_panel)
    try:
        html = web.get(f"/documents/{doc.pk}/").content.decode()
    finally:
        panels._PANELS.remove(order_panel)
        panels._PANELS.remove(empty_panel)
    assert "来源订单" in html and 'href="/purchasing/orders/1/">CGDD-0001</a>' in html and "示例" in html
    assert "空面板" not in html  # a panel without rows is left out
    html = web.get(f"/documents/{doc.pk}/").content.decode()
    assert "来源订单" not in html
