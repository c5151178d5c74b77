"""Cases tests: the conftest company (ACME, WH1, A001 on 1405) plus WH2 and people:
fin (财务: reconcile, no certify), chief / chief2 (财务主管: reconcile + certify), seller (销售: no reconcile),
east (区域经理 scoped to WH2). A journal on 1405 makes a stock difference the engine attributes to
manual_journal (rule R030)."""
import pytest

from tests.roles import role_user


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.NOTIFY_DISPATCH = "defer"
    settings.STOCKBOOK_ALLOW_SELF_APPROVAL = False
    settings.LANGUAGE_CODE = "zh-hans"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(company, post_json):
    from stockbook.access.models import Scope
    from stockbook.masterdata.models import Warehouse

    post_json({"type": "warehouse", "code": "WH2", "name": "华东仓"})
    out = {"chief": role_user("chief", "财务主管"), "chief2": role_user("chief2", "财务主管"), "fin": role_user("fin", "财务"),
           "seller": role_user("seller", "销售"), "east": role_user("east", "区域经理")}
    Scope.objects.create(user=out["east"]).warehouses.add(Warehouse.objects.get(code="WH2"))
    return out


def journal(ref, amount: str, date="2026-01-10", account="1405", other="1002", credit=False):
    """Dr account / Cr other (credit=True: the other way round)."""
    a = amount
    dr, cr = (other, account) if credit else (account, other)
    return {"type": "journal", "ref": ref, "date": date, "lines": [{"account": dr, "debit": a}, {"account": cr, "credit": a}]}


def receipt(ref="R-1", qty="10", price="60", date="2026-01-05"):
    return {"type": "purchase_receipt", "ref": ref, "date": date, "supplier": "S01", "warehouse": "WH1",
            "lines": [{"item": "A001", "qty": qty, "unit_price": price}]}
