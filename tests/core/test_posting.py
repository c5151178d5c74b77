"""The post() path for master data, openings, journals and period close: contract rules and error codes."""
import pytest

from stockbook.core.errors import DocError
from stockbook.ledger.models import Account, Period, Voucher, VoucherLine, VoucherSequence
from stockbook.masterdata.models import Customer, Item, Warehouse
from stockbook.posting.models import Document
from tests.conftest import COMPANY


def counts():
    return (Document.objects.count(), Voucher.objects.count(), VoucherLine.objects.count(),
            VoucherSequence.objects.filter(last__gt=0).count(), Item.objects.count(), Account.objects.count())


def rejects(post_json, doc, code):
    before = counts()
    with pytest.raises(DocError) as e:
        post_json(doc)
    assert e.value.code == code, e.value.message
    assert counts() == before, "a rejected document must leave nothing behind"
    return e.value


J = {"type": "journal", "ref": "J1", "date": "2026-01-05",
     "lines": [{"account": "1002", "debit": "100.00"}, {"account": "3001", "credit": "100.00"}]}


def test_documents_before_company(post_json):
    # warehouses, suppliers and customers may precede the company; items, accounts and documents may not
    assert post_json({"type": "warehouse", "code": "W0", "name": "先建仓库"}).posted
    rejects(post_json, {"type": "item", "code": "X", "name": "x", "uom": "个"}, "invalid_value")
    rejects(post_json, dict(J), "invalid_value")


def test_second_company_and_duplicate_company(post_json, company):
    assert post_json(dict(COMPANY)).status == "duplicate"
    rejects(post_json, {**COMPANY, "name": "另一家"}, "duplicate_ref")
    rejects(post_json, {**COMPANY, "code": "OTHER"}, "duplicate_ref")


@pytest.mark.parametrize("field,value", [("chart", "ifrs"), ("costing_method", "lifo"), ("start_period", "2026-13"),
                                         ("start_period", "202601"), ("currency", "USD"), ("code", ""), ("name", 5)])
def test_company_bad_values(post_json, field, value):
    rejects(post_json, {**COMPANY, field: value}, "invalid_value")


def test_enterprise_chart(post_json):
    post_json({**COMPANY, "chart": "enterprise"})
    assert Account.objects.get(code="4001").name == "实收资本"
    assert Account.objects.get(code="6001").name == "主营业务收入"
    assert Account.objects.get(code="5001").name == "生产成本"
    assert Account.objects.filter(code="222102", parent__code="2221").exists()


def test_master_data_duplicates(post_json, company):
    wh = {"type": "warehouse", "code": "WH1", "name": "主仓"}
    assert post_json(dict(wh)).status == "duplicate"
    rejects(post_json, {**wh, "name": "改名"}, "duplicate_ref")
    item = {"type": "item", "code": "A001", "name": "铜线", "uom": "kg", "units": {"t": "1000"}, "tax_rate": "0.13", "account": "1405"}
    assert post_json(dict(item)).status == "duplicate"
    # same content, keys in another order: still a duplicate
    assert post_json({"account": "1405", "tax_rate": "0.13", "units": {"t": "1000"}, "uom": "kg", "name": "铜线", "code": "A001", "type": "item"}).status == "duplicate"
    rejects(post_json, {**item, "tax_rate": "0.130"}, "duplicate_ref")  # numbers compared by their text


@pytest.mark.parametrize("patch,code", [
    ({"uom": ""}, "invalid_value"),
    ({"account": "9999"}, "unknown_account"),
    ({"tax_rate": "1"}, "invalid_value"),
    ({"tax_rate": 0.13}, "invalid_value"),
    ({"units": {"t": "0"}}, "invalid_value"),
    ({"units": ["t"]}, "invalid_value"),
    ({"costing_method": "lifo"}, "invalid_value"),
    ({"safety_min": "10", "safety_max": "5"}, "invalid_value"),
])
def test_item_bad_values(post_json, company, patch, code):
    rejects(post_json, {"type": "item", "code": "B001", "name": "轴承", "uom": "个", **patch}, code)


def test_item_defaults_and_units(post_json, company):
    post_json({"type": "item", "code": "B001", "name": "轴承", "uom": "个", "units": {"箱": "24"}, "barcodes": ["6901234567892"]})
    it = Item.objects.get(code="B001")
    assert it.account.code == "1405"
    assert {u.name: u.factor for u in it.units.all()} == {"箱": 24}
    rejects(post_json, {"type": "item", "code": "B002", "name": "x", "uom": "个", "barcodes": ["6901234567892"]}, "duplicate_ref")


def test_customer_credit_limit(post_json, company):
    post_json({"type": "customer", "code": "C02", "name": "客户二", "credit_limit": "0.00"})
    assert Customer.objects.get(code="C02").credit_limit == 0
    assert Customer.objects.get(code="C01").credit_limit == 10000000
    rejects(post_json, {"type": "customer", "code": "C03", "name": "x", "credit_limit": "-1.00"}, "invalid_value")
    rejects(post_json, {"type": "customer", "code": "C03", "name": "x", "credit_limit": "1.001"}, "invalid_value")


def test_accounts(post_json, company):
    assert post_json({"type": "account", "code": "560201", "name": "管理费用-办公费", "parent": "5602"}).posted
    assert post_json({"type": "account", "code": "560201", "name": "管理费用-办公费", "parent": "5602"}).status == "duplicate"
    # the chart's own accounts: identical when code, parent and name agree
    assert post_json({"type": "account", "code": "220202", "name": "应付账款-暂估", "parent": "2202"}).status == "duplicate"
    rejects(post_json, {"type": "account", "code": "560201", "name": "改名", "parent": "5602"}, "duplicate_ref")
    rejects(post_json, {"type": "account", "code": "990101", "name": "x", "parent": "9901"}, "unknown_account")
    rejects(post_json, {"type": "account", "code": "56021", "name": "x", "parent": "5602"}, "invalid_value")
    rejects(post_json, {"type": "account", "code": "5603AB", "name": "x", "parent": "5603"}, "invalid_value")
    rejects(post_json, {"type": "account", "code": "560301", "name": "x", "parent": "5602"}, "invalid_value")
    assert Account.objects.get(code="560201").level == 2


def test_journal_posts_numbered_balanced_voucher(post_json, company):
    r = post_json(dict(J))
    v = r.vouchers[0]
    assert v.display_number == "记-2026-01-0001"
    assert [(ln.account.code, ln.debit, ln.credit, ln.doc_line) for ln in v.lines.all()] == [("1002", 10000, 0, 1), ("3001", 0, 10000, 2)]
    r2 = post_json({**J, "ref": "J2", "date": "2026-01-31"})
    assert r2.vouchers[0].number == 2
    r3 = post_json({**J, "ref": "J3", "date": "2026-02-01"})
    assert r3.vouchers[0].display_number == "记-2026-02-0001"
    assert post_json(dict(J)).status == "duplicate"
    rejects(post_json, {**J, "memo": "不同"}, "duplicate_ref")


def test_journal_dimensions(post_json, company):
    post_json({"type": "journal", "ref": "J9", "date": "2026-01-05", "lines": [
        {"account": "1122", "debit": "50.00", "customer": "C01"},
        {"account": "1405", "credit": "50.00", "item": "A001", "warehouse": "WH1"}]})
    ln = VoucherLine.objects.get(account__code="1405")
    assert (ln.item.code, ln.warehouse.code) == ("A001", "WH1")


@pytest.mark.parametrize("doc,code", [
    ({**J, "ref": ""}, "invalid_value"),
    ({k: v for k, v in J.items() if k != "ref"}, "invalid_value"),
    ({**J, "date": "2026-02-30"}, "invalid_value"),
    ({**J, "date": "2026-1-05"}, "invalid_value"),
    ({**J, "time": "24:00:00"}, "invalid_value"),
    ({**J, "date": "2025-12-31"}, "period_closed"),
    ({**J, "type": "jornal"}, "invalid_value"),
    ({**J, "lines": []}, "invalid_value"),
    ({**J, "lines": "x"}, "invalid_value"),
    ({**J, "lines": [{"account": "1002", "debit": "100.00"}, {"account": "3001", "credit": "99.99"}]}, "unbalanced"),
    ({**J, "lines": [{"account": "1009", "debit": "100.00"}, {"account": "3001", "credit": "100.00"}]}, "unknown_account"),
    ({**J, "lines": [{"account": "1002", "debit": "100.00", "credit": "1.00"}, {"account": "3001", "credit": "100.00"}]}, "invalid_value"),
    ({**J, "lines": [{"account": "1002"}, {"account": "3001", "credit": "100.00"}]}, "invalid_value"),
    ({**J, "lines": [{"account": "1002", "debit": "-100.00"}, {"account": "3001", "credit": "-100.00"}]}, "invalid_value"),
    ({**J, "lines": [{"account": "1002", "debit": "１００.00"}, {"account": "3001", "credit": "100.00"}]}, "invalid_value"),
    ({**J, "lines": [{"account": "1002", "debit": "abc"}, {"account": "3001", "credit": "100.00"}]}, "invalid_value"),
    ({**J, "lines": [{"account": "1122", "debit": "100.00", "customer": "NOPE"}, {"account": "3001", "credit": "100.00"}]}, "unknown_party"),
    ({**J, "lines": [{"account": "2202", "debit": "100.00", "supplier": "NOPE"}, {"account": "3001", "credit": "100.00"}]}, "unknown_party"),
    ({**J, "lines": [{"account": "1405", "debit": "100.00", "item": "NOPE"}, {"account": "3001", "credit": "100.00"}]}, "unknown_item"),
    ({**J, "lines": [{"account": "1405", "debit": "100.00", "warehouse": "NOPE"}, {"account": "3001", "credit": "100.00"}]}, "unknown_warehouse"),
    ([1, 2], "invalid_value"),
    (5, "invalid_value"),
])
def test_journal_bad_input(post_json, company, doc, code):
    rejects(post_json, doc, code)


def test_first_failing_line_is_reported(post_json, company):
    e = rejects(post_json, {**J, "lines": [{"account": "1002", "debit": "100.00"}, {"account": "9", "credit": "100.00"}]}, "unknown_account")
    assert e.line == 2


OB = {"type": "opening_balance", "date": "2025-12-31", "lines": [{"account": "1002", "debit": "1000.00"}, {"account": "3001", "credit": "1000.00"}]}


def test_openings(post_json, company):
    r = post_json(dict(OB))
    assert r.vouchers[0].kind == "opening"
    assert post_json(dict(OB)).status == "duplicate"  # the whole line is the identity
    assert post_json({**OB, "date": "2025-12-30"}).posted  # one more opening
    assert post_json({**OB, "ref": "QC-1"}).posted
    rejects(post_json, {**OB, "ref": "QC-1", "date": "2025-12-01"}, "duplicate_ref")
    rejects(post_json, {**OB, "ref": ""}, "invalid_value")
    rejects(post_json, {**OB, "date": "2026-01-01"}, "invalid_value")
    rejects(post_json, {**OB, "lines": [{"account": "1002", "debit": "1000.00"}, {"account": "3001", "credit": "999.00"}]}, "unbalanced")
    st = {"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "0.5", "uom": "t", "amount": "25.00"}]}
    r = post_json(dict(st))
    line = r.document.lines.get()
    assert (line.qty_base, line.amount) == (500 * 10000, 2500)
    rejects(post_json, {**st, "lines": [{"item": "A001", "qty": "1", "uom": "箱", "amount": "1.00"}]}, "unknown_unit")
    rejects(post_json, {**st, "lines": [{"item": "NOPE", "qty": "1", "amount": "1.00"}]}, "unknown_item")
    rejects(post_json, {**st, "warehouse": "NOPE"}, "unknown_warehouse")
    rejects(post_json, {**st, "lines": [{"item": "A001", "qty": "0.00001", "uom": "t", "amount": "1.00"}]}, "invalid_value")
    assert post_json({**st, "lines": [{"item": "A001", "qty": "1", "amount": "0"}]}).posted  # amount may be 0
    # once a period is closed, no more openings
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    rejects(post_json, {**OB, "date": "2025-11-30"}, "period_closed")


def test_period_close_order_and_lock(post_json, company):
    rejects(post_json, {"type": "period_close", "ref": "C2", "date": "2026-02-28", "period": "2026-02"}, "invalid_value")
    rejects(post_json, {"type": "period_close", "ref": "C0", "date": "2026-01-31", "period": "2025-12"}, "period_closed")
    rejects(post_json, {"type": "period_close", "ref": "C0", "date": "2026-01-31", "period": "2026-1"}, "invalid_value")
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    assert Period.objects.get(period=202601).status == "closed"
    rejects(post_json, {**J, "ref": "JX"}, "period_closed")
    rejects(post_json, {"type": "period_close", "ref": "C1b", "date": "2026-02-28", "period": "2026-01"}, "period_closed")
    rejects(post_json, {"type": "period_close", "ref": "C2", "date": "2026-01-31", "period": "2026-02"}, "period_closed")  # dated in a closed period
    # documents of the next month may be posted before its close
    assert post_json({**J, "ref": "JF", "date": "2026-02-10"}).posted


def test_reopen(post_json, company):
    from stockbook.posting.handlers.period import reopen_period

    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    post_json({"type": "period_close", "ref": "C2", "date": "2026-02-28", "period": "2026-02"})
    with pytest.raises(DocError):
        reopen_period("2026-01")  # only the latest closed period
    reopen_period("2026-02")
    assert post_json({**J, "ref": "JF", "date": "2026-02-10"}).posted
    rejects(post_json, {**J, "ref": "JJ"}, "period_closed")


def test_safe_delete_disables_referenced(post_json, company):
    post_json(dict(J, lines=[{"account": "1405", "debit": "1.00", "warehouse": "WH1"}, {"account": "3001", "credit": "1.00"}]))
    wh = Warehouse.objects.get(code="WH1")
    assert wh.safe_delete() == "disabled"
    assert Warehouse.objects.get(code="WH1").active is False
    post_json({"type": "warehouse", "code": "WH9", "name": "空仓"})
    assert Warehouse.objects.get(code="WH9").safe_delete() == "deleted"


def test_reopen_reverses_monthly_close_and_recloses_identically(post_json):
    """A monthly-average close posts the month's issue costs; reopening reverses that voucher in red ink,
    issue costs become pending again, and closing again gives the same figures."""
    from stockbook.reports.registry import build_report
    from stockbook.posting.fields import parse_date
    from stockbook.posting.handlers.period import reopen_period
    from stockbook.stock.models import MonthlyClose, StockMove
    from stockbook.stock.revalue import recompute

    post_json({**COMPANY, "costing_method": "monthly_average"})
    post_json({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post_json({"type": "item", "code": "A", "name": "甲", "uom": "个"})
    post_json({"type": "supplier", "code": "S", "name": "乙"})
    post_json({"type": "customer", "code": "C", "name": "丙"})
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A", "qty": "100", "amount": "1000.00"}]})
    post_json({"type": "purchase_receipt", "ref": "R1", "date": "2026-01-05", "supplier": "S", "warehouse": "WH1",
               "lines": [{"item": "A", "qty": "50", "unit_price": "11"}]})
    post_json({"type": "sales_delivery", "ref": "D1", "date": "2026-01-10", "customer": "C", "warehouse": "WH1",
               "lines": [{"item": "A", "qty": "30", "unit_price": "20"}]})
    close = {"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"}
    post_json(dict(close))
    tb = lambda: build_report("trial-balance", {"start": parse_date("2026-01-01"), "end": parse_date("2026-01-31")}).data  # noqa: E731
    closed = tb()
    cogs = {r["account"]: r for r in closed["rows"]}["5401"]
    assert cogs["debit"] == "310.00"  # unit 1550/150: closing 120 → 1240.00, issue 310.00
    reopen_period("2026-01")
    assert not MonthlyClose.objects.exists()
    assert StockMove.objects.get(code=202).value is None
    assert "5401" not in {r["account"] for r in tb()["rows"]}  # corrected to zero in red ink: no row
    assert recompute() == []
    post_json({**close, "ref": "C1b"})
    again = {r["account"]: r["closing"] for r in tb()["rows"]}
    assert again == {r["account"]: r["closing"] for r in closed["rows"]}
    assert recompute() == []


def test_deleted_master_record_frees_its_code(post_json, company):
    from stockbook.ledger.models import Account

    post_json({"type": "warehouse", "code": "WH9", "name": "空仓"})
    assert Warehouse.objects.get(code="WH9").safe_delete() == "deleted"
    assert post_json({"type": "warehouse", "code": "WH9", "name": "新空仓"}).posted
    assert Warehouse.objects.get(code="WH9").name == "新空仓"
    post_json({"type": "account", "code": "560299", "name": "管理费用-其他", "parent": "5602"})
    Account.objects.get(code="560299").delete()
    assert post_json({"type": "account", "code": "560299", "name": "管理费用-杂项", "parent": "5602"}).posted
    assert Document.objects.filter(identity__startswith="warehouse:WH9#deleted-").count() == 1


def test_unit_mistake_warns_but_posts(post_json, company):
    rec = {"type": "purchase_receipt", "supplier": "S01", "warehouse": "WH1", "date": "2026-01-05"}
    for i in range(3):
        r = post_json({**rec, "ref": f"R{i}", "lines": [{"item": "A001", "qty": "2", "uom": "t", "unit_price": "60000"}]})
        assert r.warnings == []
    r = post_json({**rec, "ref": "R9", "lines": [{"item": "A001", "qty": "2000", "uom": "t", "unit_price": "60"}]})
    assert r.posted and len(r.warnings) == 1 and "计量单位" in r.warnings[0]


def test_voucher_numbered_and_balances_added_at_the_end_of_posting(post_json, company, monkeypatch):
    """Inside post() a voucher is inserted with number 0 and gets its number (and adds its turnover) only
    when the document is done, so the month's shared rows are locked last; a document refused after its
    voucher was written gives its number back."""
    from stockbook.core.errors import DocError
    from stockbook.ledger import posting as LP
    from stockbook.ledger.models import PeriodBalance
    from stockbook.posting import extensions

    seen = []
    real = LP._Pending.flush

    def spy(self):
        seen.append([(Voucher.objects.get(pk=v.pk).number, PeriodBalance.objects.filter(period=v.period).count()) for v in self.vouchers])
        return real(self)

    monkeypatch.setattr(LP._Pending, "flush", spy)
    r = post_json(dict(J))
    assert seen == [[(0, 0)]]  # when the document is done: still number 0 and no turnover added yet
    assert Voucher.objects.get(pk=r.vouchers[0].pk).number == r.vouchers[0].number == 1

    def refuse(ctx, doc, vouchers):
        assert vouchers and vouchers[0].number == 0
        raise DocError("invalid_value", "refused after the voucher was written")

    monkeypatch.setattr(extensions, "_POST", [(None, refuse)])
    rejects(post_json, {**J, "ref": "J2"}, "invalid_value")
    monkeypatch.setattr(extensions, "_POST", [])
    assert post_json({**J, "ref": "J3"}).vouchers[0].display_number == "记-2026-01-0002"
    assert not Voucher.objects.filter(number=0).exists()
    assert PeriodBalance.objects.get(account__code="1002", period=202601).debit == 20000


def test_deferred_blocks_number_their_own_vouchers(company):
    from django.db import transaction

    from stockbook.ledger.posting import VLine, deferred, write_voucher

    lines = [VLine(account_id=Account.objects.get(code="1002").pk, debit=100), VLine(account_id=Account.objects.get(code="3001").pk, credit=100)]
    day = __import__("datetime").date(2026, 1, 9)
    with transaction.atomic():
        with deferred():
            a = write_voucher(when=day, lines=lines)
            with deferred():
                b = write_voucher(when=day, lines=lines)
                c = write_voucher(when=day, lines=lines)
            assert (a.number, b.number, c.number) == (0, 1, 2)
        assert a.number == 3
        d = write_voucher(when=day, lines=lines)  # outside: numbered at once
        assert d.number == 4
    assert sorted(Voucher.objects.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_unit_mistake_warns_per_item_of_a_document(post_json, company):
    post_json({"type": "item", "code": "B002", "name": "铝线", "uom": "kg", "account": "1405"})
    rec = {"type": "purchase_receipt", "supplier": "S01", "warehouse": "WH1", "date": "2026-01-05"}
    for i in range(3):
        post_json({**rec, "ref": f"R{i}", "lines": [{"item": "A001", "qty": "5", "unit_price": "60"},
                                                  {"item": "B002", "qty": "7", "unit_price": "30"}]})
    r = post_json({**rec, "ref": "R9", "lines": [{"item": "A001", "qty": "5", "unit_price": "60"},
                                                {"item": "B002", "qty": "7000", "unit_price": "30"}]})
    assert len(r.warnings) == 1 and r.warnings[0].startswith("第 2 行 B002")


def test_unit_mistake_is_judged_on_the_items_latest_lines(post_json, company):
    """The usual quantity is the median of the item's latest UNIT_HISTORY lines, not of all its history: an item
    bought by the 吨-sized lot once and by the small lot lately warns on a lot-sized line, not on a small one."""
    from stockbook.posting.handlers.business import UNIT_HISTORY

    rec = {"type": "purchase_receipt", "supplier": "S01", "warehouse": "WH1", "date": "2026-01-05"}
    for i, qty in enumerate(["5000"] * UNIT_HISTORY + ["5"] * UNIT_HISTORY):
        post_json({**rec, "ref": f"L{i}", "lines": [{"item": "A001", "qty": qty, "unit_price": "1"}]})
    assert post_json({**rec, "ref": "S", "lines": [{"item": "A001", "qty": "6", "unit_price": "1"}]}).warnings == []
    r = post_json({**rec, "ref": "B", "lines": [{"item": "A001", "qty": "5000", "unit_price": "1"}]})
    assert r.posted and len(r.warnings) == 1 and r.warnings[0].startswith("第 1 行 A001")
