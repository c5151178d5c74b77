"""记账凭证 print layout: HTML (for the web's print view) and PDF, one voucher per page.

``voucher_html(voucher)`` / ``voucher_pdf(voucher)`` for one voucher, ``vouchers_pdf(queryset)`` for many
(each starts on a new page). The 合计 row carries the amount in 大写 (``rmb_upper``).
"""

from stockbook.core.money import from_fen

MIN_ROWS = 5  # a printed voucher has at least five lines, blank ones filled in


def rmb_upper(fen: int) -> str:
    """Amount in 分 → 大写 as written on vouchers and cheques: 壹仟贰佰叁拾肆元伍角整, 壹佰元零伍分, 零元整."""
    import cn2an

    text = cn2an.an2cn(str(from_fen(abs(int(fen)))), "rmb")
    if text.endswith("角"):
        text += "整"
    return ("负" + text) if fen < 0 else text


def money_text(fen: int) -> str:
    return "" if not fen else f"{from_fen(fen):,.2f}"


def _user(u) -> str:
    if u is None:
        return ""
    return (u.get_full_name() or u.get_username()).strip()


class _Accounts:
    """Account code + full name (上级名称-本级名称), loaded once per print job."""

    def __init__(self):
        from stockbook.ledger.models import Account

        self.by_id = {a.pk: a for a in Account.objects.all()}
        self._full: dict[int, str] = {}

    def full_name(self, pk: int) -> str:
        if pk not in self._full:
            a = self.by_id[pk]
            name = a.name
            if a.parent_id:
                parent_full = self.full_name(a.parent_id)
                own = self.by_id[a.parent_id].name
                # chart sub-accounts already carry their parent's name (应收账款-已开票)
                if name.startswith(parent_full):
                    pass
                elif name.startswith(own + "-"):
                    name = parent_full + name[len(own):]
                else:
                    name = f"{parent_full}-{name}"
            self._full[pk] = name
        return self._full[pk]

    def label(self, line) -> str:
        a = self.by_id[line.account_id]
        dims = []
        for attr, title in (("customer", "客户"), ("supplier", "供应商"), ("item", "存货"), ("warehouse", "仓库"),
                            ("department", "部门")):
            obj = getattr(line, attr)
            if obj is not None:
                dims.append(f"{title}：{obj.code} {obj.name}")
        text = f"{a.code} {self.full_name(a.pk)}"
        return text + (f"【{'；'.join(dims)}】" if dims else "")


def _context(voucher, accounts: _Accounts, company) -> dict:
    lines = list(voucher.lines.select_related("customer", "supplier", "item", "warehouse", "department")
                 .order_by("line_no"))
    rows = [{
        "summary": ln.summary, "account": accounts.label(ln),
        "debit": money_text(ln.debit), "credit": money_text(ln.credit),
        "debit_neg": ln.debit < 0, "credit_neg": ln.credit < 0,
    } for ln in lines]
    blanks = range(max(0, MIN_ROWS - len(rows)))
    debit = sum(ln.debit for ln in lines)
    credit = sum(ln.credit for ln in lines)
    doc = voucher.document
    return {
        "v": voucher, "company": company.name if company else "",
        "date": f"{voucher.date.year}年{voucher.date.month:02d}月{voucher.date.day:02d}日",
        "number": f"{voucher.number:04d}", "period": f"{voucher.period // 100}年{voucher.period % 100:02d}期",
        "kind": voucher.get_kind_display(), "source": f"{doc.type} {doc.ref}".strip() if doc else "",
        "rows": rows, "blanks": blanks,
        "debit_total": money_text(debit) or "0.00", "credit_total": money_text(credit) or "0.00",
        "upper": rmb_upper(debit),
        "maker": _user(voucher.created_by), "auditor": _user(voucher.audited_by),
    }


def vouchers_html(vouchers) -> str:
    from django.template.loader import render_to_string

    from stockbook.masterdata.models import Company

    accounts = _Accounts()
    company = Company.current()
    items = [_context(v, accounts, company) for v in vouchers]
    return render_to_string("reports/voucher.html", {"vouchers": items})


def voucher_html(voucher) -> str:
    return vouchers_html([voucher])


def voucher_pdf(voucher) -> bytes:
    from .pdf import html_to_pdf

    return html_to_pdf(voucher_html(voucher))


def vouchers_pdf(queryset) -> bytes:
    """All vouchers of ``queryset`` (in its order; a plain queryset of Voucher is ordered by date, word,
    number), each on its own page."""
    from .pdf import html_to_pdf

    qs = queryset.select_related("document", "created_by", "audited_by") if hasattr(queryset, "select_related") else queryset
    return html_to_pdf(vouchers_html(qs))


__all__ = ["rmb_upper", "voucher_html", "voucher_pdf", "vouchers_html", "vouchers_pdf"]
