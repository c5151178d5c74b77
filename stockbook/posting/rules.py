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

    def resolve(self, role_or_id) -> int:
        """The account of a rule's entry: a role, or already an account id (an item's inventory account)."""
        return role_or_id if isinstance(role_or_id, int) else self.role(role_or_id)


def line_dims(party: dict, item_id, warehouse_id) -> dict:
    """The dimensions of a line's entries: its document's party, its item and warehouse."""
    d = dict(party)
    if item_id:
        d["item_id"] = item_id
    if warehouse_id:
        d["warehouse_id"] = warehouse_id
    return d


def _dims(ln, party: dict) -> dict:
    return line_dims(party, ln.item_id, ln.warehouse_id)


def line_amounts(t: str, amount, tax, r: dict, inv, monthly: bool, grni) -> tuple:
    """The entries of one line of a document of type ``t``: ((role or account id, signed amount), …), zero
    amounts included. ``amount``, ``tax``: the line's; ``r``: its costing result ({} if none); ``inv``: its
    item's inventory account id; ``monthly``: the item is costed by monthly average (its issues are costed by
    the period close); ``grni``: where P goes ("grni", or ``inv`` for a line 月初回冲 reroutes:
    ``entries_for``). The one place of the line rules: a document's entries (``entries_for``) and a
    re-costing's corrections (effects.py: the same line with its old and its new result) both read them."""
    if t == "purchase_receipt":
        return (inv, amount), ("grni", -amount)
    if t == "purchase_invoice":
        return (grni, r["P"]), ("vat_input", tax), (inv, r["stock"]), ("cogs", r["cogs"]), ("ap_invoiced", -(amount + tax))
    if t == "purchase_red_invoice":  # the blue line's parts reversed (red ink: effects.RED_INK)
        return (grni, -r["P"]), ("vat_input", -tax), (inv, r["stock"]), ("cogs", r["cogs"]), ("ap_invoiced", amount + tax)
    if t == "sales_red_invoice":
        return ("ar_invoiced", -(amount + tax)), ("ar_uninvoiced", r["P"]), ("vat_output", tax), ("revenue", amount - r["P"])
    if t == "purchase_return":
        return (grni, r["P"]), (inv, -r["value"]), ("cogs", r["value"] - r["P"])
    if t == "sales_delivery":
        if monthly:
            return ("ar_uninvoiced", amount), ("revenue", -amount)
        return ("cogs", r["cost"]), (inv, -r["cost"]), ("ar_uninvoiced", amount), ("revenue", -amount)
    if t == "sales_invoice":
        return ("ar_invoiced", amount + tax), ("ar_uninvoiced", -r["P"]), ("vat_output", -tax), ("revenue", -(amount - r["P"]))
    if t == "sales_return":
        if r.get("cost") is not None:
            return ("revenue", r["P"]), ("ar_uninvoiced", -r["P"]), (inv, r["cost"]), ("cogs", -r["cost"])
        return ("revenue", r["P"]), ("ar_uninvoiced", -r["P"])
    if t == "stock_count":
        value = r.get("value")
        if value is not None and not (monthly and r.get("diff", 0) < 0):
            return (inv, value), ("count_pending", -value)
        return ()
    if t == "scrap":
        return () if monthly else (("scrap", r["cost"]), (inv, -r["cost"]))
    return ()


def entries_for(doc, lines, party: dict, acc: Accounts, items: dict, reroute=frozenset()) -> list[Entry]:
    """Entries of one document. ``lines``: its DocumentLine rows with results; ``party``: dimension ids
    ({"supplier_id": …} or {"customer_id": …}); ``items``: item id → (inventory account id, method).
    ``reroute``: line numbers whose P (the part of 220202 an invoice, return or red invoice takes or gives
    back) goes to the inventory account instead — 月初回冲, posting/grni.py: the receipt's estimate was
    reversed on the 1st of the document's month. Empty under the contract's 单到补差."""
    t = doc.type
    out: list[Entry] = []
    resolve = acc.resolve

    def add(role_or_id, amount, dims, line=None):
        if amount:
            out.append(Entry(resolve(role_or_id), amount, line, None, dims))

    for ln in lines:
        line_dims = _dims(ln, party)  # one dict for all the line's entries
        inv, method = items[ln.item_id] if ln.item_id else (None, None)
        grni = inv if reroute and ln.line_no in reroute else "grni"
        for role_or_id, amount in line_amounts(t, ln.amount, ln.tax, ln.result or {}, inv, method == "monthly_average", grni):
            add(role_or_id, amount, line_dims, ln.line_no)
    # prepayments (预收 2203 / 预付 1123) and their application: docs/contract-extensions.md
    if t == "customer_receipt":
        add(doc.account_id, doc.amount, party)
        add("advances_received" if getattr(doc, "prepayment", False) else "ar_invoiced", -doc.amount, party)
    elif t == "supplier_payment":
        add("advances_paid" if getattr(doc, "prepayment", False) else "ap_invoiced", doc.amount, party)
        add(doc.account_id, -doc.amount, party)
    elif t == "advance_application":
        if party.get("customer_id"):
            add("advances_received", doc.amount, party)
            add("ar_invoiced", -doc.amount, party)
        else:
            add("ap_invoiced", doc.amount, party)
            add("advances_paid", -doc.amount, party)
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
