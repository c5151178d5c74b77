"""Manual voucher entry, voucher list/detail/print/PDF, and periods."""
from stockbook.ledger.models import Period, Voucher, VoucherLine
from stockbook.posting.models import Document


def _form(lines, **header):
    data = {"date": "2026-01-27", "ref": "JZ-T-001", "memo": "支付办公费", "summary": [], "account": [], "debit": [],
            "credit": [], "customer": [], "supplier": [], "item": [], "warehouse": []}
    data.update(header)
    for ln in lines:
        for k in ("summary", "account", "debit", "credit", "customer", "supplier", "item", "warehouse"):
            data[k].append(ln.get(k, ""))
    return data


def _counts():
    return Document.objects.count(), Voucher.objects.count(), VoucherLine.objects.count()


def test_new_voucher_form_has_grid_and_balance_check(web, company):
    html = web.get("/vouchers/new/").content.decode()
    assert 'id="vgrid"' in html and "借贷差额" in html and 'list="dl-account"' in html
    assert "voucher.js" in html
    assert '<option value="1001">' in html


def test_unbalanced_voucher_is_rejected_and_writes_nothing(web, company):
    before = _counts()
    r = web.post("/vouchers/new/", _form([{"account": "5602", "debit": "800.00"}, {"account": "1001", "credit": "700.00"}]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "借贷不平衡" in html and "凭证未保存" in html
    assert 'value="700.00"' in html  # the entry is kept for correction
    assert _counts() == before


def test_line_error_is_shown_on_its_line(web, company):
    before = _counts()
    r = web.post("/vouchers/new/", _form([
        {"account": "5602", "debit": "800.00"}, {}, {"account": "9999", "credit": "800.00"}]))
    html = r.content.decode()
    assert "会计科目 9999 不存在" in html
    # the blank middle row is skipped: document line 2 is the third grid row, which carries the error
    rows = html.split('<tr class="vline')[1:]
    assert "line-error" not in rows[0][:30] and "line-error" in rows[2][:30] and "9999 不存在" in rows[2]
    assert _counts() == before


def test_balanced_voucher_is_posted(web, company):
    r = web.post("/vouchers/new/", _form([
        {"summary": "办公用品", "account": "5602 管理费用", "debit": "1,234.50"},
        {"account": "1001", "credit": "1234.5", "customer": ""},
        {}]))
    assert r.status_code == 302
    v = Voucher.objects.get()
    assert v.display_number == "记-2026-01-0001"
    assert r["Location"] == f"/vouchers/{v.pk}/"
    assert v.debit_total == 123450 and v.document.source == "web" and v.created_by.username == "clerk"
    assert list(v.lines.values_list("account__code", "debit", "credit")) == [("5602", 123450, 0), ("1001", 0, 123450)]
    html = web.get(r["Location"]).content.decode()
    assert "记-2026-01-0001" in html and "壹仟贰佰叁拾肆元伍角整" in html and "办公用品" in html
    assert "1,234.50" in html


def test_voucher_with_dimensions_and_save_and_new(web, company):
    r = web.post("/vouchers/new/", _form([
        {"account": "1405", "debit": "350", "item": "A001", "warehouse": "WH1"},
        {"account": "1002", "credit": "350"}], then="new", ref="JZ-T-002"))
    assert r.status_code == 302 and r["Location"] == "/vouchers/new/"
    ln = VoucherLine.objects.get(account__code="1405")
    assert ln.item.code == "A001" and ln.warehouse.code == "WH1"
    html = web.get(f"/vouchers/{ln.voucher_id}/").content.decode()
    assert "铜线" in html and "主仓" in html


def test_closed_period_is_rejected_on_date(web, company, post_json):
    post_json({"type": "period_close", "ref": "C1", "date": "2026-01-31", "period": "2026-01"})
    before = _counts()
    r = web.post("/vouchers/new/", _form([{"account": "5602", "debit": "1"}, {"account": "1001", "credit": "1"}]))
    assert "已结账" in r.content.decode()
    assert _counts() == before


def test_voucher_list_filters(web, books):
    V = "记-2026-01-0001</a>"
    assert V in web.get("/vouchers/?period=2026-01").content.decode()
    assert V not in web.get("/vouchers/?period=2026-02").content.decode()
    assert V in web.get("/vouchers/?account=5602").content.decode()
    assert V not in web.get("/vouchers/?account=1405").content.decode()
    assert V in web.get("/vouchers/?number=记-2026-01-0001").content.decode()
    assert V in web.get("/vouchers/?q=办公费&from=2026-01-01&to=2026-01-31").content.decode()
    assert V not in web.get("/vouchers/?q=运费").content.decode()
    assert "期初-2025-12-0001</a>" in web.get("/vouchers/?word=期初").content.decode()


def test_voucher_print_and_pdf(web, books):
    v = Voucher.objects.get(kind="normal")
    r = web.get(f"/vouchers/{v.pk}/print/")
    assert r.status_code == 200 and "记账凭证" in r.content.decode()
    r = web.get(f"/vouchers/{v.pk}/pdf/?download=1")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and "attachment" in r["Content-Disposition"]
    r = web.get("/vouchers/no/记-2026-01-0001/")
    assert r.status_code == 302 and r["Location"] == f"/vouchers/{v.pk}/"


def test_close_and_reopen_period(web, books):
    html = web.get("/periods/").content.decode()
    assert "结账 2026-01" in html
    r = web.post("/periods/close/", {"period": "2026-01"}, follow=True)
    assert "2026-01 已结账" in r.content.decode()
    assert Period.objects.get(period=202601).status == Period.CLOSED
    assert "反结账 2026-01" in r.content.decode() and "结账 2026-02" in r.content.decode()
    # 反结账 is an approved action: a reason, a request, then another person's approval
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import approve
    from tests.roles import role_user

    chief = role_user("chief", "财务主管", "pw-chief-1")
    r = web.post("/periods/reopen/", {"period": "2026-01"}, follow=True)
    assert "反结账必须填写原因" in r.content.decode()
    r = web.post("/periods/reopen/", {"period": "2026-01", "reason": "补录发票"}, follow=True)
    assert "已提交审批" in r.content.decode()
    assert Period.objects.get(period=202601).status == Period.CLOSED
    approve(ApprovalRequest.objects.get(kind="reopen"), chief, "pw-chief-1")
    assert Period.objects.get(period=202601).status == Period.OPEN
    r = web.post("/periods/close/", {"period": "2026-01"}, follow=True)  # closing again after a reopen works
    assert Period.objects.get(period=202601).status == Period.CLOSED
    r = web.post("/periods/close/", {"period": "2026-01"}, follow=True)  # a stale page does nothing
    assert "页面已过期" in r.content.decode()
    assert not Period.objects.filter(period=202602).exists()
