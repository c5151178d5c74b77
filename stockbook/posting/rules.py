"""Posting rules: document type × line → voucher entries (contract sections 3 and 4), in one place.

Rules name account *roles* (ledger/roles.py); the company's chart maps them to codes. An entry's amount
is signed: positive is debit, negative credit ("an amount that comes out negative is posted as a positive
amount on the other side"). Entries of one document line to one account are netted into one voucher line.
Monthly-average issue costs are not posted by the issue document but by the period close.
"""
from dataclasses import dataclass, field

from stockbook.ledger.models import Account
from stockbook.ledger.roles import account_for


@dataclass(slots=True)
class Entry:
    account_id: int
    amount: int  # 分, + debit / − credit
    doc_line: int | None = None
    source: int | None = None  # the document the voucher line links back to (default: the owner)
    dims: dict = field(default_factory=dict)


class Accounts:
    """Role and item-account lookups for one chart, cached."""

    def __init__(self, chart: str):
        self.chart = chart
        self._ids: dict[str, int] = {}
        self._roles: dict[str, int] = {}

    def code(self, code: str) -> int:
        if code not in self._ids:
            self._ids[code] = Account.objects.only("id").get(code=code).pk
        return self._ids[code]

    def role(self, role: str) -> int:
        aid = self._roles.get(role)
        if aid is None:
            aid = self._roles[role] = self.code(account_for(role, self.chart))
        return aid


def _dims(ln, party: dict) -> dict:
    d = dict(party)
    if ln is not None:
        if ln.item_id:
            d["item_id"] = ln.item_id
        if ln.warehouse_id:
            d["warehouse_id"] = ln.warehouse_id
    return d


def entries_for(doc, lines, party: dict, acc: Accounts, items: dict, reroute=frozenset()) -> list[Entry]:
    """Entries of one document. ``lines``: its DocumentLine rows with results; ``party``: dimension ids
    ({"supplier_id": …} or {"customer_id": …}); ``items``: item id → (inventory account id, method).
    ``reroute``: line numbers whose P (the part of 220202 an invoice, return or red invoice takes or gives
    back) goes to the inventory account instead — 月初回冲, posting/grni.py: the receipt's estimate was
    reversed on the 1st of the document's month. Empty under the contract's 单到补差."""
    t = doc.type
    out: list[Entry] = []
    role = acc.role
    line_dims = None  # the dimensions of the line being read (one dict for all its entries)

    def add(role_or_id, amount, ln=None, source=None, dims=None):
        if amount:
            aid = role_or_id if isinstance(role_or_id, int) else role(role_or_id)
            out.append(Entry(aid, amount, ln.line_no if ln is not None else None, source,
                             dims if dims is not None else line_dims if ln is not None else dict(party)))

    for ln in lines:
        line_dims = _dims(ln, party)
        r = ln.result or {}
        inv, method = items[ln.item_id] if ln.item_id else (None, None)
        monthly = method == "monthly_average"
        grni = inv if reroute and ln.line_no in reroute else "grni"
        if t == "purchase_receipt":
            add(inv, ln.amount, ln)
            add("grni", -ln.amount, ln)
        elif t == "purchase_invoice":
            add(grni, r["P"], ln)
            add("vat_input", ln.tax, ln)
            add(inv, r["stock"], ln)
            add("cogs", r["cogs"], ln)
            add("ap_invoiced", -(ln.amount + ln.tax), ln)
        elif t == "purchase_red_invoice":  # the blue line's parts reversed (red ink: effects.RED_INK)
            add(grni, -r["P"], ln)
            add("vat_input", -ln.tax, ln)
            add(inv, r["stock"], ln)
            add("cogs", r["cogs"], ln)
            add("ap_invoiced", ln.amount + ln.tax, ln)
        elif t == "sales_red_invoice":
            add("ar_invoiced", -(ln.amount + ln.tax), ln)
            add("ar_uninvoiced", r["P"], ln)
            add("vat_output", ln.tax, ln)
            add("revenue", ln.amount - r["P"], ln)
        elif t == "purchase_return":
            add(grni, r["P"], ln)
            add(inv, -r["value"], ln)
            add("cogs", r["value"] - r["P"], ln)
        elif t == "sales_delivery":
            if not monthly:
                add("cogs", r["cost"], ln)
                add(inv, -r["cost"], ln)
            add("ar_uninvoiced", ln.amount, ln)
            add("revenue", -ln.amount, ln)
        elif t == "sales_invoice":
            add("ar_invoiced", ln.amount + ln.tax, ln)
            add("ar_uninvoiced", -r["P"], ln)
            add("vat_output", -ln.tax, ln)
            add("revenue", -(ln.amount - r["P"]), ln)
        elif t == "sales_return":
            add("revenue", r["P"], ln)
            add("ar_uninvoiced", -r["P"], ln)
            if r.get("cost") is not None:
                add(inv, r["cost"], ln)
                add("cogs", -r["cost"], ln)
        elif t == "stock_count":
            value = r.get("value")
            if value is not None and not (monthly and r.get("diff", 0) < 0):
                add(inv, value, ln)
                add("count_pending", -value, ln)
        elif t == "scrap":
            if not monthly:
                add("scrap", r["cost"], ln)
                add(inv, -r["cost"], ln)
    # prepayments (预收 2203 / 预付 1123) and their application: docs/contract-extensions.md
    if t == "customer_receipt":
        add(doc.account_id, doc.amount, None, dims=party)
        add("advances_received" if getattr(doc, "prepayment", False) else "ar_invoiced", -doc.amount, None, dims=party)
    elif t == "supplier_payment":
        add("advances_paid" if getattr(doc, "prepayment", False) else "ap_invoiced", doc.amount, None, dims=party)
        add(doc.account_id, -doc.amount, None, dims=party)
    elif t == "advance_application":
        if party.get("customer_id"):
            add("advances_received", doc.amount, None, dims=party)
            add("ar_invoiced", -doc.amount, None, dims=party)
        else:
            add("ap_invoiced", doc.amount, None, dims=party)
            add("advances_paid", -doc.amount, None, dims=party)
    return out


def settlement_entries(count_doc, count_lines, acc: Accounts) -> list[Entry]:
    """盘点处理: per count line, gain Dr 1901 / Cr count_gain, loss Dr count_loss / Cr 1901."""
    out = []
    for ln in count_lines:
        value = (ln.result or {}).get("value")
        if not value:
            continue
        dims = _dims(ln, {})
        out.append(Entry(acc.role("count_pending"), value, ln.line_no, count_doc.id, dims))
        out.append(Entry(acc.role("count_gain" if value > 0 else "count_loss"), -value, ln.line_no, count_doc.id, dims))
    return out


RED_INK = {"purchase_red_invoice", "sales_red_invoice"}  # posted in red ink on the blue invoice's sides


ISSUE_ROLE = {"sales_delivery": "cogs", "scrap": "scrap", "stock_count": "count_pending"}


def close_entries(close_lines, issue_docs: dict, issue_lines: dict, items: dict, acc: Accounts) -> list[Entry]:
    """期末结账 of monthly-average items: per issue line Dr 5401 / 5711 / 1901 / Cr inventory, linked to the
    line it costs; a residue with no issue line to carry it Dr 5401 / Cr inventory."""
    out = []
    for item_id, doc_id, line, res in close_lines:
        inv = items[item_id][0]
        if doc_id is None:
            r = res["residue"]
            out.append(Entry(acc.role("cogs"), r, None, None, {"item_id": item_id}))
            out.append(Entry(inv, -r, None, None, {"item_id": item_id}))
            continue
        cost = res["cost"] if "cost" in res else -res["value"]
        if not cost:
            continue
        ln = issue_lines[(doc_id, line)]
        dims = _dims(ln, {})
        out.append(Entry(acc.role(ISSUE_ROLE[issue_docs[doc_id].type]), cost, line, doc_id, dims))
        out.append(Entry(inv, -cost, line, doc_id, dims))
    return out
