"""Finance-package voucher exports against Stockbook's vouchers.

Books (conftest ``stocked`` + a journal): 记-2026-01-0001 R-001 01-05 Dr 1405 / Cr 220202 25000.00;
记-0002 R-002 01-10 78000.00; 记-0003 R-003 01-12 60.00; 记-0004 R-004 01-20 500.00;
记-0005 JZ-1 01-28 Dr 5602 300.00 / Cr 1002 300.00.

The external file (every layout below says the same thing):
  记-1 01-05  1405 25000 / 220202 25000, reference R-001                  → matched by reference, equal
  记-2 01-10  1405 78000 / 2202.02 78000                                  → matched by number+date, equal
  记-3 01-12  1405 65 / 220202 65                                         → number+date, amount_mismatch ±5.00
  记-9 01-20  1403 500 / 220202 500                                       → date+amount, account_mismatch 1405↔1403
  记-6 01-25  5602 100 / 1001 100                                         → external_only
  (记-0005 JZ-1 has no partner)                                           → not_transferred
"""
from datetime import date

import pytest

from stockbook.external.service import FileRejected, gl_lines, latest_run, run_gl

from .conftest import FIXTURES, csv_bytes, dbf_bytes, xlsx_bytes

D1, D2 = date(2026, 1, 1), date(2026, 1, 31)

EXPECTED = [
    {"voucher": "记-2026-01-0003", "external_voucher": "记-3", "account": "1405", "book_amount": "60.00", "external_amount": "65.00",
     "difference": "-5.00", "cause": "amount_mismatch"},
    {"voucher": "记-2026-01-0003", "external_voucher": "记-3", "account": "220202", "book_amount": "-60.00", "external_amount": "-65.00",
     "difference": "5.00", "cause": "amount_mismatch"},
    {"voucher": "记-2026-01-0004", "external_voucher": "记-9", "account": "1405", "book_amount": "500.00", "external_amount": "500.00",
     "difference": "0.00", "cause": "account_mismatch", "external_account": "1403"},
    {"voucher": "记-2026-01-0005", "external_voucher": None, "account": "1002", "book_amount": "-300.00", "external_amount": "0.00",
     "difference": "-300.00", "cause": "not_transferred"},
    {"voucher": "记-2026-01-0005", "external_voucher": None, "account": "5602", "book_amount": "300.00", "external_amount": "0.00",
     "difference": "300.00", "cause": "not_transferred"},
    {"voucher": None, "external_voucher": "记-6", "account": "1001", "book_amount": "0.00", "external_amount": "-100.00",
     "difference": "100.00", "cause": "external_only"},
    {"voucher": None, "external_voucher": "记-6", "account": "5602", "book_amount": "0.00", "external_amount": "100.00",
     "difference": "-100.00", "cause": "external_only"},
]
RULES = [("记-2026-01-0001", "记-1", "reference"), ("记-2026-01-0002", "记-2", "number_date"),
         ("记-2026-01-0003", "记-3", "number_date"), ("记-2026-01-0004", "记-9", "date_amount")]


@pytest.fixture
def gl_books(stocked, post_json):
    post_json({"type": "journal", "ref": "JZ-1", "date": "2026-01-28", "memo": "办公费",
               "lines": [{"account": "5602", "debit": "300.00"}, {"account": "1002", "credit": "300.00"}]})
    return stocked


def check(out, layout):
    assert out["report"] == "reconcile-external" and out["source"] == "gl"
    assert out["from"] == "2026-01-01" and out["to"] == "2026-01-31"
    assert out["layout"] == layout
    assert out["rows"] == EXPECTED
    assert [(m["voucher"], m["external_voucher"], m["rule"]) for m in out["matches"]] == RULES
    assert all(m["reason"] for m in out["matches"])


def test_generic_csv_english_headers(gl_books):
    rows = [["date", "voucher_no", "account", "debit", "credit", "summary", "reference"],
            ["2026-01-05", "记-1", "1405", "25,000.00", "", "采购入库", "R-001"], ["2026-01-05", "记-1", "220202", "", "25000", "", "R-001"],
            ["2026/1/10", "记-2", "1405", "78000", "0", "", ""], ["2026/1/10", "记-2", "2202.02", "0", "78000.00", "", ""],
            ["2026-01-12", "记-3", "1405", "65", "", "", ""], ["2026-01-12", "记-3", "220202", "", "65", "", ""],
            ["2026-01-20", "记-9", "1403", "500", "", "", ""], ["2026-01-20", "记-9", "220202", "", "500", "", ""],
            ["2026-01-25", "记-6", "5602", "100", "", "", ""], ["2026-01-25", "记-6", "1001", "", "100", "", ""],
            ["2026-02-03", "记-1", "1001", "1", "", "", ""], ["2026-02-03", "记-1", "1002", "", "1", "", ""]]  # out of range
    out = run_gl(csv_bytes(rows), date_from=D1, date_to=D2, save=False)
    check(out, "generic_gl")
    assert out["errors"] == [] and out["summary"]["out_of_range"] == 2


def test_kis_journal_xlsx_with_quirks(gl_books):
    """金蝶 KIS 会计分录序时簿: voucher cells only on the first line, `记 - 1`, Excel serial dates, codes as numbers
    (1405.0), 借方/贷方 zero as 0, a 合计 row with an empty code, line breaks in names, a leading apostrophe."""
    head = ["审核", "复核", "过账", "日期", "会计期间", "凭证字号", "摘要", "科目代码", "科目名称", "币别", "汇率", "原币金额", "借方", "贷方",
            "制单", "参考信息"]

    def ln(d, vno, acc, dr, cr, ref="", summary="", name="科目"):
        return ["", "", "", d, "2026.1" if d else "", vno, summary, acc, name, "RMB", 1, dr or cr, dr, cr, "张三", ref]
    rows = [head,
            ln(46027, "记 - 1", 1405.0, 25000, 0, ref="'R-001", summary="采购入库", name="库存\n商品"),  # 46027 = 2026-01-05
            ln(None, None, "2202.02", 0, 25000),
            ln("2026-01-10", "记 - 2", 1405, 78000, 0), ln(None, None, 2202.02, 0, 78000),
            ln("2026/01/12", "记 - 3", "1405", 65, 0), ln(None, None, "220202", 0, 65),
            ln("2026-01-20", "记 - 9", "1403", 500, 0), ln(None, None, "220202", 0, 500),
            ln("2026-01-25", "记 - 6", "5602", 100, 0), ln(None, None, "1001", 0, 100),
            ["", "", "", "", "", "", "合计", "", "", "", "", "", 103765, 103765, "", ""]]
    out = run_gl(xlsx_bytes(rows, title="会计分录序时簿"), date_from=D1, date_to=D2, save=False)
    check(out, "kingdee_kis_journal")
    assert out["errors"] == [] and out["summary"]["rows_ok"] == 10


def test_k3_standard_voucher_keys_and_captions(gl_books):
    keys = ["FDate", "FYear", "FPeriod", "FGroupID", "FNumber", "FAccountNum", "FAccountName", "FCurrencyNum", "FCurrencyName",
            "FAmountFor", "FDebit", "FCredit", "FPreparerID", "FCheckerID", "FApproveID", "FCashierID", "FHandler", "FSettleTypeID",
            "FSettleNo", "FExplanation", "FQuantity", "FMeasureUnitID", "FUnitPrice", "FReference"]
    caps = ["凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "科目代码", "科目名称", "币别代码", "币别名称", "原币金额", "借方", "贷方",
            "制单", "审核", "核准", "出纳", "经办", "结算方式", "结算号", "凭证摘要", "数量", "数量单位", "单价", "参考信息"]

    def ln(d, n, acc, dr, cr, ref=""):
        return [d, 2026, 1, "记", n, acc, "x", "RMB", "人民币", dr or cr, dr, cr, "张三", "NONE", "NONE", "NONE", "", "*", "", "摘要", 0, "*", 0, ref]
    body = [ln("2026-01-05", 1, "1405", 25000, 0, "R-001"), ln("2026-01-05", 1, "2202.02", 0, 25000, "R-001"),
            ln("2026-01-10", 2, "1405", 78000, 0), ln("2026-01-10", 2, "2202.02", 0, 78000),
            ln("2026-01-12", 3, "1405", 65, 0), ln("2026-01-12", 3, "2202.02", 0, 65),
            ln("2026-01-20", 9, "1403", 500, 0), ln("2026-01-20", 9, "2202.02", 0, 500),
            ln("2026-01-25", 6, "5602", 100, 0), ln("2026-01-25", 6, "1001", 0, 100)]
    schema = [["FType", "FKey", "FFieldName", "FCaption"], ["ClassInfo", "ClassType", "", "VoucherData"]]
    for head in (keys, caps):
        out = run_gl(xlsx_bytes([head] + body, title="Page1", extra_sheets=[("t_Schema", schema)]), date_from=D1, date_to=D2, save=False)
        check(out, "kingdee_k3")


def test_kingdee_cloud_two_header_rows(gl_books):
    keys = ["FBillHead(GL_VOUCHER)", "FAccountBookID", "FDate", "FVOUCHERGROUPID", "FVOUCHERGROUPID#Name", "FVOUCHERGROUPNO",
            "*Split*1", "FEntity", "FEXPLANATION", "FACCOUNTID", "FACCOUNTID#Name", "FCURRENCYID", "FDEBIT", "FCREDIT", "FBUSNO"]
    caps = ["*单据头(序号)", "*(单据头)账簿#编码", "*(单据头)日期", "*(单据头)凭证字#编码", "(单据头)凭证字#名称", "*(单据头)凭证号",
            "间隔列", "*分录(序号)", "(分录)摘要", "*(分录)科目编码#编码", "(分录)科目编码#名称", "*(分录)币别#编码", "(分录)借方金额",
            "(分录)贷方金额", "(分录)业务编号"]

    def ln(first, d, n, acc, dr, cr, ref=""):
        head = [n, "001", d, "PRE001", "记", n] if first else [None] * 6
        return head + [None, 1, "摘要", acc, "名称", "PRE001", dr, cr, ref]
    body = [ln(True, "2026-01-05", 1, "1405", 25000, None, "R-001"), ln(False, None, None, "2202.02", None, 25000),
            ln(True, "2026-01-10", 2, "1405", 78000, None), ln(False, None, None, "2202.02", None, 78000),
            ln(True, "2026-01-12", 3, "1405", 65, None), ln(False, None, None, "2202.02", None, 65),
            ln(True, "2026-01-20", 9, "1403", 500, None), ln(False, None, None, "2202.02", None, 500),
            ln(True, "2026-01-25", 6, "5602", 100, None), ln(False, None, None, "1001", None, 100)]
    out = run_gl(xlsx_bytes([keys, caps] + body, title="凭证#单据头(FBillHead)"), date_from=D1, date_to=D2, save=False)
    check(out, "kingdee_cloud")
    assert out["errors"] == []


def test_jingdouyun_voucher_list_title_rows_combined_account_red_entries(gl_books):
    """精斗云 凭证列表: two title rows, 科目 = code and name, a red (negative) credit meaning a debit."""
    rows = [["凭证列表"], ["示例商贸有限公司"], ["日期", "凭证字号", "摘要", "科目", "借方金额", "贷方金额", "制单人", "审核人"],
            ["2026-01-05", "记-1", "入库 R-001", "1405 库存商品", 25000, None, "张三", ""], [None, None, "入库 R-001", "220202_应付账款_暂估", None, 25000],
            ["2026-01-10", "记-2", "入库", "1405 库存商品", 78000, None], [None, None, "入库", "220202 应付账款-暂估", None, 78000],
            ["2026-01-12", "记-3", "入库", "1405 库存商品", 65, None], [None, None, "", "220202 暂估", None, 65],
            ["2026-01-20", "记-9", "入库", "1403 原材料", 500, None], [None, None, "", "220202 暂估", None, 500],
            ["2026-01-25", "记-6", "费用", "5602 管理费用", None, -100], [None, None, "", "1001 库存现金", None, 100]]
    out = run_gl(xlsx_bytes(rows, title="凭证列表#2026年第1期 至 2026年第1期"), date_from=D1, date_to=D2, save=False)
    check(out, "kingdee_jdy_list")


def test_yonyou_journal_gbk_csv_with_title_rows(gl_books):
    rows = [["序时账"], ["编制单位：示例商贸有限公司", "期间：2026.01", "单位：元"],
            ["日期", "凭证字号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额", "币种", "原币金额", "辅助核算"],
            ["2026-01-05", "记-0001", "采购入库 R-001", "1405", "库存商品", "25,000.00", "", "", "", ""],
            ["2026-01-05", "记-0001", "采购入库 R-001", "220202", "应付账款-暂估", "", "25,000.00", "", "", ""],
            ["2026-01-10", "记-0002", "", "1405", "", "78,000.00", "", "", "", ""], ["2026-01-10", "记-0002", "", "220202", "", "", "78000", "", "", ""],
            ["2026-01-12", "记-0003", "", "1405", "", "65.00", "", "", "", ""], ["2026-01-12", "记-0003", "", "220202", "", "", "65.00", "", "", ""],
            ["2026-01-20", "记-0009", "", "1403", "", "500.00", "", "", "", ""], ["2026-01-20", "记-0009", "", "220202", "", "", "500.00", "", "", ""],
            ["2026-01-25", "记-0006", "", "5602", "", "100.00", "", "", "", ""], ["2026-01-25", "记-0006", "", "1001", "", "", "100.00", "", "", ""],
            ["", "", "合计", "", "", "103,765.00", "103,765.00", "", "", ""]]
    out = run_gl(csv_bytes(rows, encoding="gbk"), date_from=D1, date_to=D2, save=False)
    check(out, "yonyou_journal")
    assert out["errors"] == []


def test_u8_voucher_text(gl_books):
    def ln(d, n, summary, acc, dr, cr):
        return f"{d},记,{n},0,{summary},{acc},{dr},{cr},0,0,0,张三,,,,,,,,,"
    lines = ["填制凭证,V800", ln("2026-01-05", 1, "入库 R-001", "1405", "25000.00", "0.00"), ln("2026-01-05", 1, "入库 R-001", "220202", "0", "25000"),
             ln("2026-01-10", 2, "入库", "1405", "78000", "0"), ln("2026-01-10", 2, "入库", "220202", "0", "78000"),
             ln("2026-01-12", 3, "入库", "1405", "65", "0"), ln("2026-01-12", 3, "入库", "220202", "0", "65"),
             ln("2026-01-20", 9, "入库", "1403", "500", "0"), ln("2026-01-20", 9, "入库", "220202", "0", "500"),
             ln("2026-01-25", 6, "费用", "5602", "100", "0"), ln("2026-01-25", 6, "费用", "1001", "0", "100")]
    out = run_gl("\r\n".join(lines).encode("gbk"), date_from=D1, date_to=D2, save=False)
    check(out, "yonyou_u8_txt")


def test_kis_journal_old_excel(gl_books):
    """The same 会计分录序时簿 as KIS exports it, an old Excel (.xls) file: date cells, a date as text, codes as
    numbers (1405, 2202.02) and text, a 合计 row, a second sheet (fixtures/make_xls.py)."""
    data = (FIXTURES / "kis_journal.xls").read_bytes()
    out = run_gl(data, date_from=D1, date_to=D2, file_name="序时簿.xls", save=False)
    check(out, "kingdee_kis_journal")
    assert out["errors"] == [] and out["summary"]["rows_ok"] == 10


def test_password_protected_xls_is_refused_with_its_reason(gl_books, monkeypatch):
    """xlrd cannot open an encrypted workbook: the user is told to remove the password (xlrd's own error stands in
    for such a file: Excel writes one only with a password typed in)."""
    import xlrd

    def encrypted(**_kw):
        raise xlrd.XLRDError("Workbook is encrypted")
    monkeypatch.setattr(xlrd, "open_workbook", encrypted)
    with pytest.raises(FileRejected) as e:
        run_gl((FIXTURES / "kis_journal.xls").read_bytes(), date_from=D1, date_to=D2, file_name="a.xls")
    assert "密码" in e.value.message


KIS_FIELDS = [("FDATE", "D", 8, 0), ("FTRANSDATE", "D", 8, 0), ("FPERIOD", "N", 10, 5), ("FGROUP", "C", 4, 0), ("FNUM", "N", 10, 0),
              ("FENTRYID", "N", 10, 0), ("FEXP", "C", 60, 0), ("FACCTID", "C", 40, 0), ("FCLSNAME1", "C", 20, 0),
              ("FOBJID1", "C", 20, 0), ("FCYID", "C", 4, 0), ("FEXCHRATE", "N", 12, 6), ("FDC", "C", 1, 0), ("FFCYAMT", "N", 16, 2),
              ("FDEBIT", "N", 16, 2), ("FCREDIT", "N", 16, 2), ("FPREPARE", "C", 20, 0), ("FPOSTED", "L", 1, 0),
              ("FDELETED", "L", 1, 0), ("FREFERENCE", "C", 30, 0)]


def kis_records(extra=()):
    def ln(d, n, entry, acc, dr, cr, ref="", summary="入库", deleted=False):
        return (d, None, 1.0, "记", float(n), float(entry), summary, acc, "供应商" if acc == "220202" else "", "S01" if acc == "220202" else "",
                "RMB", 1.0, "D" if dr else "C", dr or cr, dr, cr, "张三", False, deleted, ref)
    return [ln(date(2026, 1, 5), 1, 0, "1405", 25000, 0, "R-001", "采购入库（R-001）"), ln(date(2026, 1, 5), 1, 1, "2202.02", 0, 25000, "R-001"),
            ln(date(2026, 1, 10), 2, 0, "1405", 78000, 0), ln(date(2026, 1, 10), 2, 1, "2202.02", 0, 78000),
            ln(date(2026, 1, 12), 3, 0, "1405", 65, 0), ln(date(2026, 1, 12), 3, 1, "220202", 0, 65),
            ln(date(2026, 1, 20), 9, 0, "1403", 500, 0), ln(date(2026, 1, 20), 9, 1, "220202", 0, 500),
            ln(date(2026, 1, 25), 6, 0, "5602", 100, 0, summary="费用"), ln(date(2026, 1, 25), 6, 1, "1001", 0, 100, summary="费用"),
            *[ln(*e) for e in extra]]


def test_kis_dbf_voucher_file(gl_books):
    """金蝶 KIS 凭证引出 DBF: GBK text (code page 0x4D), space-padded fields, 凭证号 and 分录号 as floats (3.0), FDC D/C; a
    record the file marks deleted and one KIS marks FDELETED are left out (they would be 记-7 and 记-8)."""
    recs = kis_records(extra=[(date(2026, 1, 26), 7, 0, "5602", 40, 0), (date(2026, 1, 26), 7, 1, "1001", 0, 40),
                              (date(2026, 1, 27), 8, 0, "5602", 30, 0, "", "入库", True), (date(2026, 1, 27), 8, 1, "1001", 0, 30, "", "入库", True)])
    data = dbf_bytes(KIS_FIELDS, recs, deleted={10, 11})
    for name in ("PZ.DBF", "凭证"):  # by its name, or by its header alone
        out = run_gl(data, date_from=D1, date_to=D2, file_name=name, save=False)
        check(out, "kingdee_kis_dbf")
        assert out["errors"] == [] and out["summary"]["rows_ok"] == 10


def test_kis_dbf_code_pages_and_damage(gl_books):
    """A KIS file whose header names no code page is still read as GBK; a cut-off file or one in another encoding
    is refused with a sentence, and nothing is saved."""
    data = dbf_bytes(KIS_FIELDS, kis_records(), codepage=0x00)
    check(run_gl(data, date_from=D1, date_to=D2, file_name="pz.dbf", save=False), "kingdee_kis_dbf")
    with pytest.raises(FileRejected) as e:
        run_gl(data[:40], date_from=D1, date_to=D2, file_name="pz.dbf")
    assert "dbf" in e.value.message
    recs = kis_records()
    recs[2] = recs[2][:6] + (b"\xff\xfe not GBK",) + recs[2][7:]  # 摘要 in no Chinese encoding
    with pytest.raises(FileRejected) as e:
        run_gl(dbf_bytes(KIS_FIELDS, recs), date_from=D1, date_to=D2, file_name="pz.dbf")
    assert "编码" in e.value.message
    from stockbook.external.models import ExternalRun

    assert not ExternalRun.objects.exists()


U8_HEAD = ("会计期间 凭证类别字 凭证类别排序号 凭证编号 行号 制单日期 附单据数 制单人 审核人 记账人 记账标志 出纳人 凭证标志 凭证头自定义项1 "
           "凭证头自定义项2 摘要 科目编码 币种 借方金额 贷方金额 外币借方金额 外币贷方金额 汇率 数量借方 数量贷方 结算方式编码 票号 票号发生日期 "
           "部门编码 职员编码 客户编码 供应商编码 项目编码 项目大类编码 业务员 对方科目编码 银行帐两清标志 往来帐两清标志 是否核销 外部凭证帐套号 "
           "外部凭证会计年度 外部凭证系统名称 外部凭证系统版本号 外部凭证制单日期 外部凭证会计期间 外部凭证业务类型 外部凭证业务号 日期 标志 "
           "外部凭证单据号 凭证是否可修改 凭证分录是否可增删 凭证合计金额是否保值 分录数值是否可修改 分录科目是否可修改 分录受控科目可用状态 "
           "分录往来项是否可修改 分录部门是否可修改 分录项目是否可修改 分录往来项是否必输").split() + [f"自定义字段{i}" for i in range(1, 11)] + [
    "现金项目编号", "现金借方", "现金贷方"]


def test_u8_voucher_excel_73_columns(gl_books):
    """用友 U8 凭证引入 Excel mirroring GL_accvouch (73 columns): the voucher's date is 制单日期 — the 日期 column further
    right (an external voucher's) is filled with another date here and must not be read — codes undotted, 对方科目
    listing several codes, 客户编码 with leading zeros, 附单据数 -1."""
    assert len(U8_HEAD) == 73

    def ln(d, n, row, summary, acc, dr, cr, ref=""):
        r = dict.fromkeys(U8_HEAD)
        r.update({"会计期间": 1, "凭证类别字": "记", "凭证类别排序号": 1, "凭证编号": n, "行号": row, "制单日期": d, "附单据数": -1,
                  "制单人": "张三", "摘要": summary, "科目编码": acc, "币种": "人民币", "借方金额": dr, "贷方金额": cr, "客户编码": "000123",
                  "对方科目编码": "5602,2210102", "外部凭证业务号": ref, "日期": "2025-12-31"})
        return [r[h] for h in U8_HEAD]
    body = [ln("2026-01-05", 1, 1, "入库 R-001", "1405", 25000, 0, "R-001"), ln("2026-01-05", 1, 2, "入库 R-001", "220202", 0, 25000, "R-001"),
            ln("2026-01-10", 2, 1, "入库", "1405", "78000.00", "0.00"), ln("2026-01-10", 2, 2, "入库", "220202", "0.00", "78000.00"),
            ln("2026-01-12", 3, 1, "入库", "1405", 65, 0), ln("2026-01-12", 3, 2, "入库", "220202", 0, 65),
            ln("2026-01-20", 9, 1, "入库", "1403", 500, 0), ln("2026-01-20", 9, 2, "入库", "220202", 0, 500),
            ln("2026-01-25", 6, 1, "费用", "5602", 100, 0), ln("2026-01-25", 6, 2, "费用", "1001", 0, 100)]
    out = run_gl(xlsx_bytes([U8_HEAD] + body), date_from=D1, date_to=D2, save=False)
    check(out, "yonyou_u8_excel")
    assert out["errors"] == []


def test_bad_rows_and_good_rows(gl_books):
    rows = [["日期", "凭证字号", "科目代码", "借方金额", "贷方金额", "摘要"],
            ["2026-01-05", "记-1", "1405", "25000", "", "R-001"], ["", "", "220202", "", "25000", ""],
            ["2026-13-45", "记-7", "1405", "1", "", ""],          # impossible date
            ["2026-01-26", "记-8", "1405", "12.345", "", ""],     # third decimal
            ["2026-01-26", "记-8", "220202", "", "abc", ""],      # not a number
            ["2026-01-26", "", "1405", "1", "", ""],               # date without number
            ["2026-01-26", "记-8", "", "5", "", ""],               # no account
            ["2026-01-27", "记-9", "1405", "x", "", ""],           # bad first line of a voucher …
            ["", "", "220202", "", "5", ""]]                       # … so its continuation line is refused too
    out = run_gl(csv_bytes(rows), date_from=D1, date_to=D2, save=False)
    assert [(e["row"], e["code"]) for e in out["errors"]] == [(4, "invalid_value"), (5, "invalid_value"), (6, "invalid_value"),
                                                              (7, "invalid_value"), (8, "invalid_value"), (9, "invalid_value"),
                                                              (10, "invalid_value")]
    assert "第 9 行" in out["errors"][-1]["message"]
    msgs = [e["message"] for e in out["errors"]]
    assert "日期" in msgs[0] and "两位小数" in msgs[1] and "abc" in msgs[2] and "凭证号" in msgs[3] and "科目" in msgs[4]
    assert out["matches"][0]["voucher"] == "记-2026-01-0001" and out["summary"]["rows_ok"] == 2
    assert {r["cause"] for r in out["rows"]} == {"not_transferred"}


def test_whole_file_rejections(gl_books):
    with pytest.raises(FileRejected) as e:
        run_gl(csv_bytes([["日期", "凭证字号", "科目代码", "摘要"], ["2026-01-05", "记-1", "1405", "x"]]), date_from=D1, date_to=D2, save=False)
    assert "借方" in e.value.message
    with pytest.raises(FileRejected):
        run_gl("随便写的一段话，不是表格。\n第二行".encode(), date_from=D1, date_to=D2, save=False)
    with pytest.raises(FileRejected):
        run_gl(csv_bytes([["date", "voucher_no", "account", "debit", "credit"]]), date_from=D2, date_to=D1, save=False)


def test_saved_gl_run_and_ext_lines(gl_books):
    rows = [["date", "voucher_no", "account", "debit", "credit", "summary", "reference"],
            ["2026-01-05", "记-1", "1405", "25000.00", "", "采购入库", "R-001"], ["2026-01-05", "记-1", "220202", "", "25000.00", "", "R-001"],
            ["2026-01-25", "记-6", "5602", "100.10", "", "", ""], ["2026-01-25", "记-6", "1001", "", "100.10", "", ""]]
    out = run_gl(csv_bytes(rows), date_from=D1, date_to=D2, file_name="gl.csv", save=True)
    run = latest_run("gl")
    assert run.pk == out["run"] and run.date_from == D1 and run.date_to == D2
    lines = gl_lines(run)
    assert [(x.date, x.voucher_no, x.account, x.debit, x.credit, x.reference) for x in lines] == [
        (date(2026, 1, 5), "记-1", "1405", 2500000, 0, "R-001"), (date(2026, 1, 5), "记-1", "220202", 0, 2500000, "R-001"),
        (date(2026, 1, 25), "记-6", "5602", 10010, 0, ""), (date(2026, 1, 25), "记-6", "1001", 0, 10010, "")]
    from stockbook.ledger.models import Voucher

    v1 = Voucher.objects.get(period=202601, number=1)
    assert list(run.gl_lines.values_list("voucher_id", flat=True)) == [v1.pk, v1.pk, None, None]


def test_matched_by_stockbook_voucher_number_in_reference(gl_books):
    rows = [["date", "voucher_no", "account", "debit", "credit", "reference"],
            ["2026-01-11", "转-77", "1405", "78000", "", "记-2026-01-0002"], ["2026-01-11", "转-77", "220202", "", "78000", ""]]
    out = run_gl(csv_bytes(rows), date_from=D1, date_to=D2, save=False)
    assert out["matches"][0]["voucher"] == "记-2026-01-0002" and out["matches"][0]["rule"] == "reference"
    assert "凭证号" in out["matches"][0]["reason"]
    assert not [r for r in out["rows"] if r["voucher"] == "记-2026-01-0002"]
