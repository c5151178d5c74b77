"""Manual vouchers (journal 记账凭证) and the line rules that opening balances share.

Each line: ``account`` (existing), exactly one of ``debit``/``credit`` (> 0), optional dimensions
``customer``, ``supplier``, ``item``, ``warehouse``, ``department``; debits must equal credits.
"""
from stockbook.core.errors import DocError
from stockbook.core.money import parse_money, to_fen
from stockbook.ledger.models import Voucher
from stockbook.ledger.posting import VLine, write_voucher
from stockbook.masterdata.models import Department

from ..fields import MISSING, get, opt_str, req_list, req_obj

DIMENSIONS = [
    ("customer", "customer", "unknown_party", "客户"),
    ("supplier", "supplier", "unknown_party", "供应商"),
    ("item", "item", "unknown_item", "存货"),
    ("warehouse", "warehouse", "unknown_warehouse", "仓库"),
]


def journal_lines(ctx) -> list[VLine]:
    books = ctx.books
    out = []
    for n, raw in enumerate(req_list(ctx.obj, "lines", "分录行 lines"), 1):
        try:
            ln = req_obj(raw, "lines")
            code = get(ln, "account")
            if not isinstance(code, str) or not code:
                raise DocError("invalid_value", "缺少会计科目 account", field="account")
            acc = books.account(code)
            if acc is None:
                raise DocError("unknown_account", f"会计科目 {code} 不存在", field="account")
            has_d, has_c = get(ln, "debit") is not MISSING, get(ln, "credit") is not MISSING
            if has_d == has_c:
                raise DocError("invalid_value", "每行必须且只能填写借方 debit 或贷方 credit 之一", field="debit")
            side = "debit" if has_d else "credit"
            fen = to_fen(parse_money(ln[side], side))
            dims = {}
            for key, lookup, err, label in DIMENSIONS:
                v = get(ln, key)
                if v is MISSING:
                    continue
                if not isinstance(v, str) or not v:
                    raise DocError("invalid_value", f"辅助核算 {label} 必须是编码字符串", field=key)
                rec = getattr(books, lookup)(v)
                if rec is None:
                    raise DocError(err, f"{label} {v} 不存在", field=key)
                dims[f"{key}_id"] = rec.pk
            dept = get(ln, "department")
            if dept is not MISSING:
                d = Department.objects.filter(code=dept).first() if isinstance(dept, str) else None
                if d is None:
                    raise DocError("invalid_value", f"部门 {dept!r} 不存在", field="department")
                dims["department_id"] = d.pk
            summary = opt_str(ln, "summary", "摘要", 500) or ""
        except DocError as e:
            e.line = n
            raise
        out.append(VLine(account_id=acc.pk, debit=fen if side == "debit" else 0, credit=fen if side == "credit" else 0,
                         summary=summary, doc_line=n, dims=dims))
    debit, credit = sum(x.debit for x in out), sum(x.credit for x in out)
    if debit != credit:
        raise DocError("unbalanced", f"借贷不平衡：借方合计 {debit / 100:.2f}，贷方合计 {credit / 100:.2f}")
    return out


def journal(ctx):
    memo = opt_str(ctx.obj, "memo", "摘要", 500) or ""
    lines = journal_lines(ctx)

    def write(doc):
        return [write_voucher(when=ctx.date, lines=lines, document=doc, memo=memo or f"记账凭证 {ctx.ref}", user=ctx.user)]

    return write


def opening_balance(ctx):
    lines = journal_lines(ctx)

    def write(doc):
        return [write_voucher(when=ctx.date, lines=lines, document=doc, kind=Voucher.OPENING, word="期初",
                              memo=f"期初余额 {ctx.ref}".strip(), user=ctx.user)]

    return write
