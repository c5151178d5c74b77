"""记账凭证 print and the generic report PDF/xlsx, read back with poppler (pdftotext, pdffonts) and openpyxl."""
import io
import shutil
import subprocess
from datetime import date

import pytest

from stockbook.reports.base import Column, Report, render
from stockbook.reports.trial_balance import trial_balance
from stockbook.reports.voucher_pdf import rmb_upper, voucher_html, voucher_pdf, vouchers_pdf

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")


def pdf_text(pdf: bytes, *args) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_fonts(pdf: bytes) -> str:
    """pdffonts' table (it reads a file, not stdin): every font embedded in the PDF."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(["pdffonts", f.name], capture_output=True, check=True).stdout.decode()


@pytest.mark.parametrize("fen,text", [
    (123450, "壹仟贰佰叁拾肆元伍角整"),
    (123400, "壹仟贰佰叁拾肆元整"),
    (123456, "壹仟贰佰叁拾肆元伍角陆分"),
    (10005, "壹佰元零伍分"),
    (101000, "壹仟零壹拾元整"),
    (10123500, "壹拾万壹仟贰佰叁拾伍元整"),
    (5, "伍分"),
    (50, "伍角整"),
    (0, "零元整"),
    (-500, "负伍元整"),
    (10000000000, "壹亿元整"),
])
def test_rmb_upper(fen, text):
    assert rmb_upper(fen) == text


@pytest.fixture
def big_voucher(ledger_books, post_json):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("zhangsan", first_name="张三")
    from stockbook.access.roles import ensure_roles

    user.groups.add(*[g for g in ensure_roles() if g.name == "财务"])
    post_json({"type": "account", "code": "560201", "name": "办公费", "parent": "5602"})
    r = post_json({"type": "journal", "ref": "JX", "date": "2026-01-25", "memo": "报销办公费", "lines": [
        {"account": "560201", "debit": "1234.50", "summary": "购买打印纸"},
        {"account": "1122", "debit": "100000.00", "customer": "C01", "summary": "应收货款"},
        {"account": "100201", "credit": "101234.50", "summary": "工行付款"}]}, user=user)
    return r.vouchers[0]


def test_voucher_html(big_voucher):
    html = voucher_html(big_voucher)
    for text in ["示例商贸有限公司", "记账凭证", "字第 <b>0004</b> 号", "2026年01月25日", "附单据",
                 "560201 管理费用-办公费", "1122 应收账款【客户：C01 客户一】", "100201 银行存款-工商银行",
                 "购买打印纸", "1,234.50", "101,234.50", "壹拾万壹仟贰佰叁拾肆元伍角整", "制单：张三", "审核：", "记账：",
                 "journal JX", "记-2026-01-0004"]:
        assert text in html, text


@needs_poppler
def test_voucher_pdf_text(big_voucher):
    pdf = voucher_pdf(big_voucher)
    assert pdf[:4] == b"%PDF"
    text = pdf_text(pdf)
    for s in ["示例商贸有限公司", "记账凭证", "记 字第 0004 号", "2026年01月25日",
              "管理费用-办公费", "客户：C01 客户一", "壹拾万壹仟贰佰叁拾肆元伍角整", "101,234.50", "制单：张三"]:
        assert s in text, s
    fonts = pdf_fonts(pdf)
    assert "Noto-Sans-CJK-SC" in fonts and "DejaVu" not in fonts


@needs_poppler
def test_vouchers_pdf_one_per_page(ledger_books):
    from stockbook.ledger.models import Voucher

    qs = Voucher.objects.filter(period=202601)
    pdf = vouchers_pdf(qs)
    pages = pdf_text(pdf).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == qs.count() == 3
    # in date order: J1 (01-05, 0001), J6 (01-10, posted last: 0003), J2 (01-20, 0002)
    assert "记 字第 0001 号" in pages[0] and "壹佰元整" in pages[0]
    assert "记 字第 0003 号" in pages[1] and "壹拾元整" in pages[1]
    assert "记 字第 0002 号" in pages[2] and "叁拾元整" in pages[2]


@needs_poppler
def test_trial_balance_pdf_chinese_and_landscape(ledger_books):
    pdf = render(trial_balance(date(2026, 1, 1), date(2026, 3, 31)), "pdf")
    assert pdf[:4] == b"%PDF"
    text = pdf_text(pdf)
    for s in ["发生额及余额表", "示例商贸有限公司", "科目编码", "银行存款", "工商银行", "1,000.00", "第1页/共1页"]:
        assert s in text, s
    fonts = pdf_fonts(pdf)
    assert "Noto-Sans-CJK-SC" in fonts and "DejaVu" not in fonts and "CJK-JP" not in fonts
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
    size = [line for line in info.splitlines() if line.startswith("Page size")][0]
    w, h = (float(x) for x in size.split()[2:5:2])
    assert w > h and round(w) == 842  # A4 landscape, in points


@needs_poppler
def test_long_report_repeats_header():
    rows = [{"code": f"{1000 + i}", "name": f"科目{i}", "amt": f"{i * 1234.5:.2f}"} for i in range(90)]
    rep = Report("x", "长报表", {}, [Column("code", "科目编码"), Column("name", "科目名称"), Column("amt", "金额", "money")], rows)
    pdf = render(rep, "pdf")
    pages = [p for p in pdf_text(pdf).split("\f") if p.strip()]
    assert len(pages) >= 2
    for p in pages:
        assert "科目编码" in p and "金额" in p
    assert "109,870.50" in pdf_text(pdf)


def test_trial_balance_xlsx(ledger_books):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render(trial_balance(date(2026, 1, 1), date(2026, 3, 31)), "xlsx")))
    ws = wb.active
    assert ws.title == "发生额及余额表"
    assert ws["A1"].value == "发生额及余额表  2026-01-01 至 2026-03-31"
    assert [c.value for c in ws[2]] == ["科目编码", "科目名称", "期初借方", "期初贷方", "本期借方", "本期贷方", "期末借方", "期末贷方"]
    first = {c.column_letter: c for c in ws[3]}
    assert first["A"].value == "1002" and first["A"].data_type == "s"  # codes stay text
    assert first["C"].value == 1000 and first["C"].data_type == "n" and first["C"].number_format == "#,##0.00"
    assert first["D"].value is None
    assert first["E"].value == 360 and first["F"].value == 30
    total = [c.value for c in ws[ws.max_row]]
    assert total[0] == "合计" and total[2:] == [1500, 1500, 670, 670, 1940, 1940]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["B"].width >= 10 and ws.column_dimensions["C"].width >= 10


@needs_poppler
def test_long_voucher_continues_with_its_number(ledger_books, post_json):
    lines = [{"account": "1122", "debit": f"{i}.00", "customer": "C01", "summary": f"第{i}笔回款确认"} for i in range(1, 21)]
    lines.append({"account": "5001", "credit": "210.00"})
    v = post_json({"type": "journal", "ref": "JL", "date": "2026-01-08", "lines": lines}).vouchers[0]
    pages = [p for p in pdf_text(voucher_pdf(v)).split("\f") if p.strip()]
    assert len(pages) >= 2
    assert "续" not in pages[0]
    for p in pages[1:]:
        assert "记账凭证（续）" in p and "记 字第 0004 号" in p and "摘要" in p  # header row repeated too
    assert "贰佰壹拾元整" in pages[-1] and "贰佰壹拾元整" not in pages[0]
