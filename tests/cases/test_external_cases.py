"""Cases from the external reconciliations (stockbook/cases/external.py): the latest 金蝶/用友 voucher export
and the latest WMS list open cases per pair/warehouse and cause; a corrected file closes them."""
from datetime import date

import pytest

from stockbook.cases.external import sync_external
from stockbook.cases.models import Case
from stockbook.external.service import run_gl, run_wms
from tests.cases.conftest import receipt

pytestmark = pytest.mark.django_db


def gl_csv(rows) -> bytes:
    head = "date,voucher_no,account,debit,credit,summary,reference\n"
    return (head + "".join(",".join(r) + "\n" for r in rows)).encode("utf-8")


def test_gl_run_cases_follow_the_latest_file(people, post_json):
    post_json(receipt("R-1", "10", "60", "2026-01-05"))  # 600.00 received, not invoiced
    post_json(receipt("R-2", "5", "60", "2026-01-06"))
    # finance booked R-1 only, R-2 is missing: uninvoiced_receipt on stock and grni
    f1 = gl_csv([("2026-01-05", "记-1", "1405", "600.00", "0", "采购入库", "R-1"), ("2026-01-05", "记-1", "2202.02", "0", "600.00", "采购入库", "R-1")])
    run_gl(f1, date_from=date(2026, 1, 1), date_to=date(2026, 2, 5), file_name="kd.csv", source="cli")
    out = sync_external()
    assert out["gl"]["period"] == 202601
    cases = {(c.pair_key, c.key_cause): c for c in Case.objects.filter(pair_key__startswith="extgl:")}
    assert set(cases) == {("extgl:stock:1405", "uninvoiced_receipt"), ("extgl:grni:220202", "uninvoiced_receipt")}
    c = cases[("extgl:stock:1405", "uninvoiced_receipt")]
    assert c.amount == -30000 and c.refs == ["R-2"] and c.period == 202601 and c.status == Case.OPEN and "kd.csv" in c.reason
    assert sync_external()["gl"]["created"] == []  # idempotent
    # finance books R-2 too: the next export closes both cases
    f2 = gl_csv([("2026-01-05", "记-1", "1405", "600.00", "0", "采购入库", "R-1"), ("2026-01-05", "记-1", "2202.02", "0", "600.00", "采购入库", "R-1"),
                 ("2026-01-06", "记-2", "1405", "300.00", "0", "采购入库", "R-2"), ("2026-01-06", "记-2", "2202.02", "0", "300.00", "采购入库", "R-2")])
    run_gl(f2, date_from=date(2026, 1, 1), date_to=date(2026, 2, 5), file_name="kd2.csv", source="cli")
    out = sync_external()
    assert sorted(out["gl"]["closed"]) == sorted(x.pk for x in cases.values())
    assert not Case.objects.filter(pair_key__startswith="extgl:").exclude(status=Case.CLOSED).exists()


def test_wms_run_cases_are_valued_at_book_cost(people, post_json):
    post_json(receipt("R-1", "10", "60", "2026-01-05"))  # 10 kg at 60.00 in WH1
    wms = "仓库,物料编码,数量,单位\nWH1,A001,7,kg\n".encode("utf-8")
    run_wms(wms, as_of=date(2026, 1, 31), file_name="wms.csv", source="cli")
    out = sync_external()
    [c] = Case.objects.filter(pair_key="wms:WH1")
    assert c.key_cause == "quantity_difference" and c.amount == -18000 and c.warehouse.code == "WH1"  # 3 kg × 60.00 short
    assert out["wms"]["created"] == [c.pk]
    # the scoped regional manager of WH2 does not see it
    from stockbook.cases.service import open_cases_for

    assert c not in list(open_cases_for(people["east"])) and c in list(open_cases_for(people["chief"]))


def test_a_saved_upload_syncs_the_cases_after_commit(people, post_json, django_capture_on_commit_callbacks):
    post_json(receipt("R-1", "10", "60", "2026-01-05"))
    wms = "仓库,物料编码,数量,单位\nWH1,A001,12,kg\n".encode("utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        run_wms(wms, as_of=date(2026, 1, 31), file_name="wms.csv", user=people["chief"])
    [c] = Case.objects.filter(pair_key="wms:WH1")
    assert c.key_cause == "quantity_difference" and c.amount == 12000


def test_the_internal_sync_leaves_the_external_cases_alone(people, post_json):
    from stockbook.cases.service import sync

    post_json(receipt("R-1", "10", "60", "2026-01-05"))
    run_wms("仓库,物料编码,数量,单位\nWH1,A001,7,kg\n".encode("utf-8"), as_of=date(2026, 1, 31), file_name="wms.csv", source="cli")
    sync_external()
    [c] = Case.objects.filter(pair_key="wms:WH1")
    out = sync(date(2026, 1, 31))
    assert c.pk not in out["closed"]
    c.refresh_from_db()
    assert c.status == Case.OPEN
    again = sync_external()["wms"]
    assert again["created"] == again["closed"] == [] and again["period"] == 202601
