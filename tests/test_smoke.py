from tests.conftest import COMPANY


def test_company_installs_chart(post_json):
    r = post_json(dict(COMPANY))
    assert r.posted
    from stockbook.ledger.models import Account

    assert Account.objects.filter(code="220202", parent__code="2202").exists()
    assert Account.objects.get(code="5001").name == "主营业务收入"
