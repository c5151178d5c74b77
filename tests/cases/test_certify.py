"""Certification per ledger pair and period: preparer and reviewer (segregation of duties), automatic
certification at 0.00, re-opening by a backdated posting; the close check (CLI, JSON, exit codes)."""
import json
from datetime import date

import pytest

from stockbook.core.errors import DocError

from .conftest import journal, receipt

JAN = date(2026, 1, 31)
P = 202601


def _refused(code, fn, *a, **kw):
    with pytest.raises(DocError) as e:
        fn(*a, **kw)
    assert e.value.code == code, e.value.message


def _cert(key="stock:1405", period=P):
    from stockbook.cases.models import Certification

    return Certification.objects.get(pair_key=key, period=period)


def test_zero_pairs_certify_themselves(people, post_json):
    from stockbook.cases.models import Certification
    from stockbook.cases.service import sync

    post_json(receipt())
    post_json(journal("J1", "500.00"))
    out = sync(JAN)
    assert sorted(out["certified"]) == ["ap:220201", "ar:1122", "count:1901", "grni:220202", "transit:1402"]
    c = _cert("grni:220202")
    assert c.status == "certified" and c.by_system and c.reviewer is None and c.difference == 0 and c.gl == 60000
    assert c.events.get().kind == "auto_certified"
    assert not Certification.objects.filter(pair_key="stock:1405").exists()  # a difference and an open case
    # the current month is not over: nothing certifies itself
    from stockbook.cases.certify import auto_certify
    from stockbook.cases.service import period_of, today

    assert auto_certify(period_of(today())) == []


def test_preparer_and_reviewer_are_two_people(people, post_json):
    from stockbook.cases.certify import certify, prepare
    from stockbook.recon.models import Threshold

    Threshold.objects.create(account="1405", amount=100000)
    post_json(journal("J1", "5.00"))  # a difference below the threshold: no case, no auto certification
    from stockbook.cases.service import sync

    assert sync(JAN)["created"] == []
    _refused("invalid_value", certify, "stock:1405", P, people["chief2"])  # not prepared yet
    _refused("not_allowed", prepare, "stock:1405", P, people["seller"])
    _refused("not_allowed", prepare, "stock:1405", P, people["east"])  # scoped: not the whole books
    _refused("invalid_value", prepare, "nope:1", P, people["fin"])
    c = prepare("stock:1405", P, people["fin"], note="手工凭证 J1 5 元，低于阈值")
    assert (c.status, c.gl, c.sub, c.difference, c.preparer) == ("prepared", 500, 0, 500, people["fin"])
    _refused("not_allowed", certify, "stock:1405", P, people["fin"])  # no certify right
    c2 = prepare("stock:1405", P, people["chief"])  # prepared again by a certifier
    _refused("segregation_of_duties", certify, "stock:1405", P, people["chief"])
    assert _cert().status == "prepared" and c2.preparer == people["chief"]
    c = certify("stock:1405", P, people["chief2"])
    assert (c.status, c.reviewer, c.by_system) == ("certified", people["chief2"], False)
    assert [e.kind for e in c.events.all()] == ["prepared", "prepared", "certified"]
    _refused("invalid_value", prepare, "stock:1405", P, people["fin"])  # certified: re-open only by the books


def test_self_certification_with_the_switch(people, post_json, settings):
    from stockbook.cases.certify import certify, prepare

    settings.STOCKBOOK_ALLOW_SELF_APPROVAL = True
    post_json(journal("J1", "5.00"))
    prepare("stock:1405", P, people["chief"])
    assert certify("stock:1405", P, people["chief"]).status == "certified"


def test_figures_changed_since_prepared(people, post_json):
    from stockbook.cases.certify import certify, prepare

    post_json(journal("J1", "5.00"))
    prepare("stock:1405", P, people["fin"])
    post_json(journal("J2", "1.00", date="2026-01-20"))  # no on_commit here: the reviewer finds it
    _refused("invalid_value", certify, "stock:1405", P, people["chief"])


def test_backdated_posting_reopens_a_certified_period(people, post_json, django_capture_on_commit_callbacks):
    from stockbook.cases.service import sync
    from stockbook.notify.models import Notification

    post_json(receipt())
    sync(JAN)
    c = _cert("grni:220202")
    assert c.status == "certified"
    with django_capture_on_commit_callbacks(execute=True):
        post_json(journal("J1", "500.00", date="2026-03-01"))  # a later period: January untouched
    assert _cert("grni:220202").status == "certified"
    with django_capture_on_commit_callbacks(execute=True):
        doc = post_json(journal("J9", "300.00", date="2026-01-15", account="220202", credit=True)).document
    c = _cert("grni:220202")
    assert c.status == "open" and c.reopen_document == doc and "J9" in c.reopen_reason and "总账 600.00 → 900.00" in c.reopen_reason
    assert c.events.last().kind == "reopened"
    got = set(Notification.objects.filter(event="reconcile.certification_reopened").values_list("user__username", flat=True))
    assert got == {"chief", "chief2"}  # system-certified: the certifiers are told
    assert _cert("ar:1122").status == "certified"  # its figures did not change


def test_reopen_tells_preparer_and_reviewer(people, post_json, django_capture_on_commit_callbacks):
    from stockbook.cases.certify import certify, prepare
    from stockbook.notify.models import Notification

    post_json(journal("J1", "5.00"))
    prepare("stock:1405", P, people["fin"])
    certify("stock:1405", P, people["chief"])
    with django_capture_on_commit_callbacks(execute=True):
        post_json(journal("J2", "1.00", date="2026-01-20"))
    assert _cert().status == "open"
    got = set(Notification.objects.filter(event="reconcile.certification_reopened").values_list("user__username", flat=True))
    assert got == {"fin", "chief"}


def test_books_changed_is_cheap_without_certifications(people, post_json, django_capture_on_commit_callbacks,
                                                       django_assert_max_num_queries):
    from stockbook.cases.certify import on_books_changed

    doc = post_json(journal("J1", "5.00")).document
    with django_assert_max_num_queries(1):
        on_books_changed(None, document=doc, date=doc.date)


# -- close check ----------------------------------------------------------------------------------------------
def _draft():
    from stockbook.posting.models import Document

    return Document.objects.create(type="purchase_receipt", ref="DRAFT-1", identity="purchase_receipt|DRAFT-1", canonical="{}",
                                   date=date(2026, 1, 20), status=Document.DRAFT)


def test_close_check_lists_blockers(people, post_json, capsys):
    from stockbook.cases.closecheck import close_check
    from stockbook.cases.models import Case
    from stockbook.cases.service import sync
    from stockbook.cli import main

    post_json(receipt())
    post_json(journal("J1", "500.00"))
    post_json({"type": "stock_count", "ref": "CNT-1", "date": "2026-01-28", "warehouse": "WH1",
               "lines": [{"item": "A001", "counted_qty": "9"}]})
    d = _draft()
    sync(JAN)
    rep = close_check(P)
    kinds = {b["kind"]: b for b in rep["blockers"]}
    assert rep["clean"] is False and rep["period"] == "2026-01"
    case = Case.objects.get(status="open")
    assert kinds["open_cases"]["items"][0]["link"] == f"/cases/{case.pk}/"
    assert [i["ref"] for i in kinds["unposted_documents"]["items"]] == ["DRAFT-1"]
    assert kinds["unposted_documents"]["items"][0]["link"] == f"/documents/{d.pk}/"
    assert [i["ref"] for i in kinds["unsettled_counts"]["items"]] == ["CNT-1"]
    assert "stock:1405" in [i["ref"] for i in kinds["uncertified_pairs"]["items"]]
    assert main(["close-check", "--period", "2026-01", "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["report"] == "close-check" and not out["clean"]
    assert {b["kind"] for b in out["blockers"]} >= {"open_cases", "unposted_documents", "unsettled_counts", "uncertified_pairs"}
    for b in out["blockers"]:
        assert set(b) >= {"kind", "title", "count", "items"} and b["count"] == len(b["items"])
        assert all("ref" in i and "link" in i for i in b["items"])
    assert main(["close-check", "--period", "2026-01"]) == 1
    assert "✘ 未结差异工单：1" in capsys.readouterr().out


def test_close_check_clean_and_bad_input(people, post_json, capsys):
    from stockbook.cli import main

    post_json(receipt())
    assert main(["close-check", "--period", "2026-01", "--format", "json"]) == 0  # all pairs at 0.00 certify themselves
    out = json.loads(capsys.readouterr().out)
    assert out == {**out, "clean": True, "blockers": []}
    for bad in ("2026-13", "2026-1", "March", "2026-01-31"):
        assert main(["close-check", "--period", bad]) == 2
        err = capsys.readouterr().err
        assert '"invalid_value"' in err and "YYYY-MM" in err


def test_close_check_pending_approval_and_pending_cost(people, post_json):
    from stockbook.approvals.models import Step, Workflow
    from stockbook.cases.closecheck import close_check

    post_json({"type": "item", "code": "M01", "name": "粒料", "uom": "kg", "tax_rate": "0.13", "account": "1403",
               "costing_method": "monthly_average"})
    post_json({"type": "purchase_receipt", "ref": "R-M", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "M01", "qty": "10", "unit_price": "5"}]})
    wf = Workflow.objects.create(name="入库", doc_type="purchase_receipt", active=True)
    Step.objects.create(workflow=wf, level=1).roles.add(*people["chief"].groups.all())
    from tests.roles import role_user

    buyer = role_user("buyer", "采购")
    assert post_json(receipt("R-2"), user=buyer).status == "pending"
    kinds = {b["kind"]: b for b in close_check(P)["blockers"]}
    assert [i["ref"] for i in kinds["unposted_documents"]["items"]] == ["R-2"]
    assert kinds["unposted_documents"]["items"][0]["link"].startswith("/approvals/")
    assert [i["ref"] for i in kinds["pending_costs"]["items"]] == ["M01"]
