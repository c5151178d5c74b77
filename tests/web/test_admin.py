"""Django admin for master data and the ledger: pages render; vouchers are read-only; no adding master data."""
import pytest

from stockbook.ledger.models import Account, Voucher
from stockbook.masterdata.models import Item, Warehouse


@pytest.fixture
def admin_web(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("boss", password="x"))
    return client


def test_admin_pages(admin_web, books):
    v = Voucher.objects.get(kind="normal")
    for url in ["/admin/", "/admin/masterdata/item/", f"/admin/masterdata/item/{Item.objects.get().pk}/change/",
                "/admin/masterdata/warehouse/", "/admin/masterdata/supplier/", "/admin/masterdata/customer/",
                "/admin/masterdata/company/", "/admin/ledger/account/", "/admin/ledger/voucher/",
                f"/admin/ledger/voucher/{v.pk}/change/", "/admin/ledger/period/", "/admin/ledger/periodbalance/"]:
        assert admin_web.get(url).status_code == 200, url
    assert admin_web.get("/admin/masterdata/item/add/").status_code == 403
    assert admin_web.get("/admin/ledger/voucher/add/").status_code == 403
    html = admin_web.get(f"/admin/ledger/voucher/{v.pk}/change/").content.decode()
    assert "800.00" in html and 'name="_save"' not in html


def test_admin_safe_delete_action(admin_web, books):
    wh = Warehouse.objects.get(code="WH1")
    r = admin_web.post("/admin/masterdata/warehouse/", {"action": "safe_delete_selected", "_selected_action": [wh.pk]}, follow=True)
    assert r.status_code == 200
    assert not Warehouse.objects.filter(code="WH1").exists()
    acc = Account.objects.get(code="1001")
    r = admin_web.post(f"/admin/ledger/account/{acc.pk}/change/", {"name": "改名", "active": "on"})
    acc.refresh_from_db()
    assert acc.name == "库存现金"  # builtin accounts keep their name
