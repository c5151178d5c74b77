"""The reconciliation engine (对账引擎): every ledger pair as of a date, its difference split into
explained parts (cause, amount, documents, the rule that decided) and an unexplained rest.

Ledger pairs (``PAIRS``): each inventory account vs the stock subledger (``stock``), 220202 暂估 vs
received-not-invoiced (``grni``), 1122 vs customers' open documents (``ar``), 220201 vs suppliers' open
documents (``ap``), 1901 vs unsettled counts (``count``) and 1402 在途物资 vs goods in transit
(``transit``; Stockbook's transfers arrive the day they leave, so its subledger is empty and any balance
needs explaining).

Two kinds of books:
- ``internal`` — Stockbook's own general ledger. Totals come from the maintained balances (PeriodBalance,
  StockPeriod), not from replaying history. Posting writes moves and voucher together, so only what goes
  around the documents makes a difference: journals, openings, monthly-average costs not yet closed.
- ``external`` — the general ledger of another finance package (金蝶, 用友: an imported voucher export).
  It is compared document by document with what Stockbook booked for each document over the same dates
  (Stockbook's own books equal its subledgers, which the internal reconciliation proves), and every
  document whose amounts differ becomes a difference item for the rules (recon/rules.py).

Amounts are integers (分) in the pair's normal direction: debit positive for stock, ar, count and transit,
credit positive for grni and ap.
"""
import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date

from django.db.models import Q, Sum

from stockbook.core.money import fmt_money
from stockbook.ledger.models import Account, Voucher, VoucherLine
from stockbook.masterdata.models import Company, Item
from stockbook.posting.models import Document, DocumentLine
from stockbook.posting.service import TYPE_NAMES
from stockbook.stock.models import StockMove, StockPeriod

from . import causes as kb
from .rules import LoadedRule, active_rules, first_match

LEDGER_NAMES = {"stock": "存货", "grni": "暂估应付", "ar": "应收账款", "ap": "应付账款", "count": "待处理财产损溢", "transit": "在途物资"}
FIXED = [("grni", "220202", -1), ("ar", "1122", 1), ("ap", "220201", -1), ("count", "1901", 1), ("transit", "1402", 1)]
SIGN = {"stock": 1, "grni": -1, "ar": 1, "ap": -1, "count": 1, "transit": 1}


@dataclass
class Attribution:
    """One difference item and what the rules made of it (cause None: unexplained)."""
    amount: int
    cause: str | None
    rule: str | None
    reason: str
    action: str = ""
    refs: list = field(default_factory=list)
    doc_ids: list = field(default_factory=list)
    voucher_ids: list = field(default_factory=list)
    external_rows: list = field(default_factory=list)
    features: dict = field(default_factory=dict)
    item_id: int | None = None
    warehouse_id: int | None = None


@dataclass
class Part:
    cause: str
    amount: int
    refs: list
    doc_ids: list
    voucher_ids: list
    rules: list


@dataclass
class PairResult:
    key: str
    ledger: str
    account: str
    name: str
    gl: int
    sub: int
    parts: list = field(default_factory=list)
    items: list = field(default_factory=list)  # every Attribution, explained or not

    @property
    def difference(self) -> int:
        return self.gl - self.sub

    @property
    def unexplained(self) -> int:
        return self.difference - sum(p.amount for p in self.parts)

    def to_json(self) -> dict:
        return {"key": self.key, "ledger": self.ledger, "ledger_name": LEDGER_NAMES[self.ledger], "account": self.account,
                "name": self.name, "gl": fmt_money(self.gl), "subledger": fmt_money(self.sub),
                "difference": fmt_money(self.difference),
                "causes": [{"cause": p.cause, "name": kb.name_of(p.cause), "amount": fmt_money(p.amount), "refs": p.refs,
                            "doc_ids": p.doc_ids, "voucher_ids": p.voucher_ids, "rules": p.rules} for p in self.parts],
                "unexplained": fmt_money(self.unexplained),
                "items": [{**{k: v for k, v in asdict(a).items() if k != "amount"}, "amount": fmt_money(a.amount)} for a in self.items]}


def _attribute(pair: PairResult, items: list[Attribution], rules: list[LoadedRule]):
    """Run the rules over the pair's difference items (zero items dropped) and sum the parts per cause."""
    parts: dict[str, Part] = {}
    for a in items:
        if not a.amount:
            continue
        a.features.setdefault("ledger", pair.ledger)
        a.features.setdefault("direction", "up" if a.amount > 0 else "down")
        r = first_match(rules, a.features)
        if r is not None:
            a.cause, a.rule, a.action = r.cause, r.code, r.action or kb.fix_of(r.cause)
            a.reason = f"规则 {r.code}「{r.name}」：{a.reason}" if a.reason else f"规则 {r.code}「{r.name}」"
            p = parts.setdefault(r.cause, Part(r.cause, 0, [], [], [], []))
            p.amount += a.amount
            for lst, new in ((p.refs, a.refs), (p.doc_ids, a.doc_ids), (p.voucher_ids, a.voucher_ids), (p.rules, [r.code])):
                lst.extend(x for x in new if x not in lst)
        pair.items.append(a)
    for p in parts.values():
        p.refs.sort()
        p.doc_ids.sort()
        p.voucher_ids.sort()
    pair.parts = [p for p in parts.values() if p.amount]


# -- internal books ---------------------------------------------------------------------------------
def _subtree(code: str) -> Q:
    return Q(account__code=code) | Q(account__code__startswith=code)


def _bal(qs) -> int:
    a = qs.aggregate(d=Sum("debit"), c=Sum("credit"))
    return (a["d"] or 0) - (a["c"] or 0)


class _Books:
    """Balances of accounts (with sub-accounts) as of a date from the maintained period balances, or
    from the voucher lines of the given warehouses."""

    def __init__(self, as_of: date, warehouses=None):
        from stockbook.reports.trial_balance import turnover

        self.as_of, self.warehouses = as_of, warehouses
        if warehouses is None:
            codes = dict(Account.objects.values_list("id", "code"))
            self.own = {codes[a]: d - c for a, (d, c) in turnover(None, as_of).items()}

    def lines(self, code):
        q = VoucherLine.objects.filter(_subtree(code), date__lte=self.as_of)
        if self.warehouses is not None:
            q = q.filter(warehouse_id__in=self.warehouses)
        return q

    def balance(self, code: str) -> int:
        if self.warehouses is not None:
            return _bal(self.lines(code))
        return sum(v for c, v in self.own.items() if c.startswith(code))


def _journal_items(bk: _Books, code: str, sign: int) -> list[Attribution]:
    """One item per journal and warehouse it names on the account (no warehouse: one item without)."""
    out = []
    rows = (bk.lines(code).filter(voucher__document__type="journal")
            .values("voucher__document_id", "voucher__document__ref", "voucher_id", "warehouse_id", "item_id")
            .annotate(d=Sum("debit"), c=Sum("credit")))
    per: dict[tuple, Attribution] = {}
    for r in rows:
        key = (r["voucher__document_id"], r["warehouse_id"])
        a = per.get(key)
        if a is None:
            a = per[key] = Attribution(
                0, None, None, f"手工凭证 {r['voucher__document__ref']} 记在 {code} 上", refs=[r["voucher__document__ref"]],
                doc_ids=[r["voucher__document_id"]], warehouse_id=r["warehouse_id"], item_id=r["item_id"],
                features={"source": "internal", "side": "gl_only", "voucher_kind": "journal", "doc_type": "journal", "doc_status": "posted"})
            out.append(a)
        elif a.item_id != r["item_id"]:
            a.item_id = None  # several items: the item is not one
        a.amount += sign * ((r["d"] or 0) - (r["c"] or 0))
        if r["voucher_id"] not in a.voucher_ids:
            a.voucher_ids.append(r["voucher_id"])
    return out


def _opening_item(bk: _Books, code: str, sign: int, stock_value: int) -> Attribution:
    lines = bk.lines(code).filter(voucher__kind=Voucher.OPENING)
    refs = sorted({r for r in lines.values_list("voucher__document__ref", flat=True) if r})
    vids = sorted(set(lines.values_list("voucher_id", flat=True)))
    ob = sign * _bal(lines)
    return Attribution(ob - stock_value, None, None, f"期初余额 {fmt_money(ob)}，期初库存 {fmt_money(stock_value)}", refs=refs,
                       voucher_ids=vids, features={"source": "internal", "side": "both", "voucher_kind": "opening"})


def _opening_stock(code, as_of, company, warehouses) -> int:
    if as_of.year * 100 + as_of.month >= company.start_period:
        qs = StockPeriod.objects.filter(item__account__code=code, period__lt=company.start_period)
    else:
        qs = StockMove.objects.filter(item__account__code=code, code=105, date__lte=as_of)
    if warehouses is not None:
        qs = qs.filter(warehouse_id__in=warehouses)
    return qs.aggregate(v=Sum("value"))["v"] or 0


def _pending_item(bk: _Books, code, company, acct_rows, rev=None) -> Attribution | None:
    from stockbook.reports.stock_balance import monthly_pending

    if not monthly_pending(bk.as_of):
        return None
    pending = {i.pk for i in Item.objects.filter(account__code=code).select_related("state")
               if getattr(i, "state", None) and i.state.method == "monthly_average"}
    if not pending:
        return None
    posted = _bal(bk.lines(code).filter(item_id__in=pending).exclude(voucher__kind=Voucher.OPENING)
                  .exclude(voucher__document__type="journal"))
    op = StockPeriod.objects.filter(item_id__in=pending, period__lt=company.start_period)
    moves = StockMove.objects.filter(item_id__in=pending, value__isnull=True, date__lte=bk.as_of)
    if bk.warehouses is not None:
        op, moves = op.filter(warehouse_id__in=bk.warehouses), moves.filter(warehouse_id__in=bk.warehouses)
    ostock = op.aggregate(v=Sum("value"))["v"] or 0
    if rev:  # 月初回冲's part of these items' postings is its own cause (grni_reversal), not pending cost
        posted -= sum(rev["items"].get(i, 0) for i in pending)
    value = sum(r["value"] for r in acct_rows if r["pending"])
    docs = sorted(set(moves.values_list("document_id", "document__ref")))
    return Attribution(posted + ostock - value, None, None, "全月一次加权平均存货本月尚未结账，账面按上次结账单价暂计",
                       refs=sorted({r for _, r in docs}), doc_ids=[d for d, _ in docs],
                       features={"source": "internal", "side": "both", "pending_cost": True})


def grni_reversal_parts(as_of: date, warehouses=None) -> dict:
    """月初回冲 (posting/grni.py): per account code (inventory accounts, 220202), in the pair's normal direction,
    what the method books differently from 单到补差, as of ``as_of`` — exactly the difference it makes between
    the ledger and the subledgers (which follow the contract): the generated 月末暂估 / 暂估冲回 vouchers (and
    their reversals by a reopen) plus the P parts that invoices, returns and red invoices of a later month
    than their receipt booked on inventory instead of 220202. {code: [amount, refs, doc ids]}.

    At the end of a closed month the part is 0 (the re-estimate makes 220202 and inventory equal the subledgers,
    receipt line by receipt line), so only what is dated after the latest closed month end before ``as_of`` is
    read: the cost is bounded by the open months, not by history."""
    from stockbook.ledger.models import Period
    from stockbook.posting.grni import GENERATED, P_TYPES, _month
    from stockbook.stock.events import month_end

    closed = [month_end(p) for p in Period.objects.filter(status=Period.CLOSED).values_list("period", flat=True)]
    since = max((e for e in closed if e <= as_of), default=None)

    out: dict[str, list] = {}
    per_item = out.setdefault("items", {})  # item id → its inventory part (a pending monthly-average item's)

    def add(code, amount, ref, doc_id, item_id=None):
        if not amount:
            return
        if item_id is not None and not code.startswith("220202"):
            per_item[item_id] = per_item.get(item_id, 0) + amount
        e = out.setdefault(code, [0, [], []])
        e[0] += amount
        if ref not in e[1]:
            e[1].append(ref)
            e[2].append(doc_id)

    gl = VoucherLine.objects.filter(voucher__document__type__in=GENERATED, date__lte=as_of)
    if since is not None:
        gl = gl.filter(date__gt=since)
    if warehouses is not None:
        gl = gl.filter(warehouse_id__in=warehouses)
    for code, ref, doc_id, item_id, d, c in (gl.values_list("account__code", "voucher__document__ref", "voucher__document_id", "item_id")
                                             .annotate(d=Sum("debit"), c=Sum("credit"))
                                             .values_list("account__code", "voucher__document__ref", "voucher__document_id", "item_id", "d", "c")):
        add(code, ((d or 0) - (c or 0)) * (-1 if code.startswith("220202") else 1), ref, doc_id, item_id)
    lines = DocumentLine.objects.filter(document__type__in=P_TYPES, document__status=Document.POSTED, document__date__lte=as_of)
    if since is not None:
        lines = lines.filter(document__date__gt=since)
    if warehouses is not None:
        lines = lines.filter(warehouse_id__in=warehouses)
    rows = list(lines.values_list("document__type", "document__date", "document__ref", "document_id", "ref_document_id", "ref_line",
                                  "item__account__code", "result", "item_id"))
    blue_ids = {r[4] for r in rows if r[0] == "purchase_red_invoice"}
    blue = dict(((d, n), rd) for d, n, rd in DocumentLine.objects.filter(document_id__in=blue_ids)
                .values_list("document_id", "line_no", "ref_document__date")) if blue_ids else {}
    rdates = dict(Document.objects.filter(pk__in={r[4] for r in rows if r[0] != "purchase_red_invoice"}).values_list("id", "date"))
    for typ, day, ref, doc_id, rd, rl, code, res, item_id in rows:
        rdate = blue.get((rd, rl)) if typ == "purchase_red_invoice" else rdates.get(rd)
        if rdate is None or _month(rdate) >= _month(day):
            continue
        p = int((res or {}).get("P") or 0)
        p = -p if typ == "purchase_red_invoice" else p
        add(code, p, ref, doc_id, item_id)
        add("220202", p, ref, doc_id)
    return out


def is_reversal(company) -> bool:
    return getattr(company, "grni_method", "difference") == "reversal"


def _grni_item(rev: dict, code: str) -> Attribution:
    amount, refs, ids = rev.get(code, [0, [], []])
    return Attribution(amount, None, None, "暂估月初回冲：上月暂估已于月初红字冲回，到票按全额记入存货，月末结账重新暂估",
                       refs=sorted(refs), doc_ids=sorted(ids),
                       features={"source": "internal", "side": "both", "voucher_kind": "grni_reversal"})


def _docs_sum(types, as_of) -> int:
    return Document.objects.filter(type__in=types, date__lte=as_of, status=Document.POSTED).aggregate(s=Sum("amount"))["s"] or 0


def _settled_sum(money_type: str, party: str, as_of) -> int:
    """What a party's money documents took off 112201 / 220201: receipts (payments) that are not prepayments,
    plus advance applications (预收冲应收 / 预付冲应付) of that side (docs/contract-extensions.md)."""
    from django.db.models import Q

    return Document.objects.filter(Q(type=money_type, prepayment=False) | Q(type="advance_application", **{f"{party}__isnull": False}),
                                   date__lte=as_of, status=Document.POSTED).aggregate(s=Sum("amount"))["s"] or 0


def _unsettled_counts(as_of) -> int:
    """1901 as the counts leave it: −Σ value of the count lines whose count has no settlement dated ≤ as_of."""
    settled = Document.objects.filter(type="count_settlement", status=Document.POSTED, date__lte=as_of).values("ref_document_id")
    return -_results_sum_q(DocumentLine.objects.filter(document__type="stock_count", document__status=Document.POSTED,
                                                       document__date__lte=as_of).exclude(document_id__in=settled), "value")


def _results_sum_q(qs, key) -> int:
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    return qs.aggregate(s=Sum(Cast(KT(f"result__{key}"), output_field=BigIntegerField())))["s"] or 0


SUB_TYPES = ("purchase_receipt", "purchase_invoice", "purchase_return", "sales_delivery", "sales_invoice", "sales_return",
             "purchase_red_invoice", "sales_red_invoice")


def _subledger_sums(as_of: date) -> dict:
    """{type: (Σ amount, Σ tax, Σ P)} of posted document lines dated ≤ as_of, in one scan (P, the part of
    暂估/未开票 an invoice or return takes, is read from the JSON results of those types only)."""
    from django.db.models import BigIntegerField, Case, When
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    p = Case(When(document__type__in=("purchase_invoice", "purchase_return", "sales_invoice", "sales_return",
                                      "purchase_red_invoice", "sales_red_invoice"),
                  then=Cast(KT("result__P"), output_field=BigIntegerField())), default=None)
    rows = (DocumentLine.objects.filter(document__type__in=SUB_TYPES, document__date__lte=as_of, document__status=Document.POSTED)
            .values("document__type").annotate(a=Sum("amount"), t=Sum("tax"), p=Sum(p)))
    out = {t: (0, 0, 0) for t in SUB_TYPES}
    for r in rows:
        out[r["document__type"]] = (r["a"] or 0, r["t"] or 0, r["p"] or 0)
    return out


def _subledger(ledger: str, as_of: date, sums: dict | None = None) -> int:
    if ledger in ("grni", "ar", "ap"):
        s = sums if sums is not None else _subledger_sums(as_of)
        # red invoices (docs/contract-extensions.md) give back the P their blue lines took and reduce the
        # invoices' gross
        pr, sr = s["purchase_red_invoice"], s["sales_red_invoice"]
        if ledger == "grni":
            return s["purchase_receipt"][0] - s["purchase_invoice"][2] - s["purchase_return"][2] + pr[2]
        if ledger == "ar":
            return (s["sales_delivery"][0] - s["sales_invoice"][2] - s["sales_return"][2] + sr[2]
                    + s["sales_invoice"][0] + s["sales_invoice"][1] - sr[0] - sr[1] - _settled_sum("customer_receipt", "customer", as_of))
        return s["purchase_invoice"][0] + s["purchase_invoice"][1] - pr[0] - pr[1] - _settled_sum("supplier_payment", "supplier", as_of)
    if ledger == "count":
        return _unsettled_counts(as_of)
    return 0  # transit: no in-transit documents


def inventory_accounts() -> list[str]:
    return sorted(set(Item.objects.values_list("account__code", flat=True)))


def reconcile_internal(as_of: date, warehouses=None, rules=None) -> list[PairResult]:
    """Stockbook's own books. ``warehouses``: only the stock pairs, summed over these warehouses (a user's
    data scope); the other pairs are whole-company and left out."""
    from stockbook.reports.stock_balance import balances

    company = Company.current()
    rules = active_rules() if rules is None else rules
    bk = _Books(as_of, warehouses)
    names = dict(Account.objects.values_list("code", "name"))
    stock = balances(as_of, warehouse_ids=warehouses)
    rev = grni_reversal_parts(as_of, warehouses) if is_reversal(company) else None
    out = []
    for code in inventory_accounts():
        acct_rows = [r for r in stock if r["item"].account.code == code]
        pair = PairResult(f"stock:{code}", "stock", code, names.get(code, ""), bk.balance(code), sum(r["value"] for r in acct_rows))
        items = _journal_items(bk, code, 1)
        items.append(_opening_item(bk, code, 1, _opening_stock(code, as_of, company, warehouses)))
        p = _pending_item(bk, code, company, acct_rows, rev)
        if p is not None:
            items.append(p)
        if rev is not None:
            items.append(_grni_item(rev, code))
        _attribute(pair, items, rules)
        out.append(pair)
    if warehouses is not None:
        return out
    sums = _subledger_sums(as_of)
    for ledger, code, sign in FIXED:
        pair = PairResult(f"{ledger}:{code}", ledger, code, names.get(code, ""), sign * bk.balance(code), _subledger(ledger, as_of, sums))
        items = _journal_items(bk, code, sign)
        items.append(_opening_item(bk, code, sign, 0))
        if rev is not None and ledger == "grni":
            items.append(_grni_item(rev, code))
        _attribute(pair, items, rules)
        out.append(pair)
    return out


# -- external books ---------------------------------------------------------------------------------
@dataclass
class ExtLine:
    """One line of an external finance package's voucher export (money in 分). The external app's
    readers produce objects with these attributes."""
    date: date
    voucher_no: str
    account: str
    debit: int
    credit: int
    summary: str = ""
    reference: str = ""
    row_no: int = 0


def norm_account(code: str) -> str:
    """金蝶 ``2202.01`` / Excel-mangled ``1405.0`` / full-width digits → Stockbook's undotted ``220201``."""
    s = unicodedata.normalize("NFKC", str(code or "")).strip().lstrip("'")
    if re.fullmatch(r"\d+\.0", s):
        s = s[:-2]
    return s.replace(".", "").replace("-", "").replace(" ", "")


def norm_voucher_no(no: str) -> str:
    """``记 - 1``, ``记-0001``, ``记1`` → ``记-1``."""
    s = unicodedata.normalize("NFKC", str(no or "")).replace(" ", "")
    m = re.fullmatch(r"([^\d\-]*)-?0*(\d+)(?:\.0)?", s)
    if not m:
        return s
    return f"{m.group(1) or '记'}-{m.group(2)}"


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/]{2,}")


class _DocIndex:
    """Stockbook documents an external line may name: by ref (posted, draft, void), pending approval
    requests by ref, and vouchers by 字-号 within a period."""

    def __init__(self, date_from: date):
        from stockbook.approvals.models import ApprovalRequest

        self.by_ref: dict[str, list] = defaultdict(list)
        self._named: dict[int, list] = {}
        for d in (Document.objects.filter(date__gte=date_from).exclude(type__in=("company", "warehouse", "item", "supplier", "customer", "account"))
                  .exclude(ref="").values("id", "ref", "type", "status", "date")):
            self.by_ref[d["ref"]].append(d)
        for r in ApprovalRequest.objects.filter(status=ApprovalRequest.PENDING, kind=ApprovalRequest.KIND_DOCUMENT).exclude(ref=""):
            self.by_ref[r.ref].append({"id": None, "ref": r.ref, "type": r.doc_type, "status": "pending", "date": None})
        self.by_voucher = {(v["period"], f"{v['word']}-{v['number']}"): (v["document_id"], v["date"])
                           for v in Voucher.objects.filter(date__gte=date_from).values("period", "word", "number", "document_id", "date")}

    def named(self, line) -> list:
        """The documents the line names by a ref in its reference or 摘要 (read once per line)."""
        key = id(line)
        if key not in self._named:
            self._named[key] = []
            for ref in (line.reference, *(_TOKEN.findall(unicodedata.normalize("NFKC", line.summary or "")))):
                ref = unicodedata.normalize("NFKC", str(ref or "")).strip()
                if ref and ref in self.by_ref:
                    self._named[key] = self.by_ref[ref]
                    break
        return self._named[key]

    def referenced(self, lines) -> set:
        """Ids of the documents some line names by reference."""
        return {c["id"] for ln in lines for c in self.named(ln) if c["id"] is not None}

    def find(self, line, prefer_ids=(), referenced=frozenset()) -> dict | None:
        """By the document ref in reference/摘要; else by Stockbook's voucher number on the same date, unless
        that voucher's document is already named by a reference elsewhere in the file (an external package
        numbers its vouchers its own way: a number alone is weak evidence)."""
        cands = self.named(line)
        if not cands and line.voucher_no:
            hit = self.by_voucher.get((line.date.year * 100 + line.date.month, norm_voucher_no(line.voucher_no)))
            if hit is not None and hit[1] == line.date and hit[0] not in referenced:
                return {"id": hit[0], "by": "voucher_no"}
        if not cands:
            return None
        for c in cands:  # a ref shared by several types: the one that booked on this account
            if c["id"] in prefer_ids:
                return {**c, "by": "reference"}
        return {**cands[0], "by": "reference"}


def _unit_factors(doc_ids) -> set:
    from fractions import Fraction

    out = {Fraction(10), Fraction(100), Fraction(1000), Fraction(10000)}
    items = DocumentLine.objects.filter(document_id__in=doc_ids).values_list("item_id", flat=True)
    from stockbook.masterdata.models import ItemUnit

    for f in ItemUnit.objects.filter(item_id__in=set(items)).values_list("factor", flat=True):
        fr = Fraction(f)
        if fr > 1:
            out.add(fr)
    return out | {1 / x for x in out}


def _is_unit_ratio(ext: int, book: int, doc_ids) -> bool:
    from fractions import Fraction

    if not ext or not book or (ext > 0) != (book > 0):
        return False
    return Fraction(ext, book) in _unit_factors(doc_ids)


def _doc_facts(doc_ids, as_of) -> dict[int, dict]:
    """Per document: type, status, date, invoiced (receipts/deliveries), settled (counts) as of the date."""
    docs = {d["id"]: d for d in Document.objects.filter(id__in=doc_ids).values("id", "type", "status", "date", "ref")}
    rec = [i for i, d in docs.items() if d["type"] in ("purchase_receipt", "sales_delivery")]
    invoiced = set(DocumentLine.objects.filter(ref_document_id__in=rec, document__type__in=("purchase_invoice", "sales_invoice"),
                                               document__status=Document.POSTED, document__date__lte=as_of)
                   .values_list("ref_document_id", flat=True))
    counts = [i for i, d in docs.items() if d["type"] == "stock_count"]
    settled = set(Document.objects.filter(type="count_settlement", status=Document.POSTED, date__lte=as_of, ref_document_id__in=counts)
                  .values_list("ref_document_id", flat=True))
    for i, d in docs.items():
        d["invoiced"] = i in invoiced if i in rec else None
        d["settled"] = i in settled if i in counts else None
    return docs


def _book_by_doc(code: str, sign: int, date_from: date, date_to: date) -> dict[int, dict]:
    """What Stockbook booked on the account (and below) per document, dated in the range, openings left out."""
    out: dict[int, dict] = {}
    rows = (VoucherLine.objects.filter(_subtree(code), date__gte=date_from, date__lte=date_to)
            .exclude(voucher__kind=Voucher.OPENING)
            .values("voucher__document_id", "voucher_id").annotate(d=Sum("debit"), c=Sum("credit")))
    for r in rows:
        h = out.setdefault(r["voucher__document_id"], {"amount": 0, "vids": []})
        h["amount"] += sign * ((r["d"] or 0) - (r["c"] or 0))
        h["vids"].append(r["voucher_id"])
    return out


def _doubled(per_voucher: dict, book: int) -> bool:
    """Booked k ≥ 2 times: the external vouchers' amounts are the same multiset repeated k times and add up
    to k × what Stockbook booked (a unit error scales the amounts instead; it does not repeat them)."""
    from collections import Counter

    amounts = Counter(v for v in per_voucher.values() if v)
    if not book or not amounts:
        return False
    k = min(amounts.values())
    return k >= 2 and all(c % k == 0 for c in amounts.values()) and sum(per_voucher.values()) == k * book


def reconcile_external(lines, date_from: date, as_of: date, rules=None) -> list[PairResult]:
    """An external general ledger's movements from ``date_from`` to ``as_of`` against what Stockbook booked
    for the same documents in those dates, pair by pair. Lines dated after ``as_of`` are read only to
    recognise cut-off (a document's voucher booked in the next period)."""
    rules = active_rules() if rules is None else rules
    lines = list(lines)
    names = dict(Account.objects.values_list("code", "name"))
    idx = _DocIndex(date_from)
    referenced = idx.referenced(lines)
    out = []
    pairs = [("stock", c, 1) for c in inventory_accounts()] + FIXED
    for ledger, code, sign in pairs:
        mine = [ln for ln in lines if norm_account(ln.account).startswith(code) and ln.date >= date_from]
        book = _book_by_doc(code, sign, date_from, as_of)
        book_later = _book_by_doc(code, sign, date.fromordinal(as_of.toordinal() + 1), date(9999, 12, 31))
        ext_by_doc: dict = defaultdict(lambda: {"le": 0, "gt": 0, "rows": [], "vouchers": set(), "per_voucher": defaultdict(int), "by": "",
                                                 "status": None, "type": None, "ref": ""})
        loose: dict = defaultdict(lambda: {"le": 0, "rows": []})
        for ln in mine:
            amt = sign * (ln.debit - ln.credit)
            m = idx.find(ln, prefer_ids=book.keys() | book_later.keys(), referenced=referenced)
            if m is None:
                if ln.date <= as_of:
                    g = loose[(ln.date, norm_voucher_no(ln.voucher_no))]
                    g["le"] += amt
                    g["rows"].append(getattr(ln, "row_no", 0))
                continue
            key = m["id"] if m.get("id") is not None else ("pending", m["ref"])
            h = ext_by_doc[key]
            h["le" if ln.date <= as_of else "gt"] += amt
            h["rows"].append(getattr(ln, "row_no", 0))
            h["vouchers"].add((ln.date, norm_voucher_no(ln.voucher_no)))
            if ln.date <= as_of:
                h["per_voucher"][(ln.date, norm_voucher_no(ln.voucher_no))] += amt
            h["by"] = m.get("by", "")
            if m.get("id") is None:
                h["status"], h["type"], h["ref"] = "pending", m["type"], m["ref"]
        doc_ids = {k for k in (set(book) | set(ext_by_doc)) if isinstance(k, int)}
        facts = _doc_facts(doc_ids, as_of)
        gl = sum(h["le"] for h in ext_by_doc.values()) + sum(g["le"] for g in loose.values())
        sub = sum(b["amount"] for b in book.values())
        pair = PairResult(f"stock:{code}" if ledger == "stock" else f"{ledger}:{code}", ledger, code, names.get(code, ""), gl, sub)
        items = []
        for key in sorted(set(book) | set(ext_by_doc), key=str):
            e = ext_by_doc[key]
            b = book.get(key, {"amount": 0, "vids": []})
            amount = e["le"] - b["amount"]
            if not amount:
                continue
            f = facts.get(key, {}) if isinstance(key, int) else {}
            status = e["status"] or f.get("status")
            dtype = e["type"] or f.get("type")
            ref = e["ref"] or f.get("ref", "")
            side = "gl_only" if not b["amount"] else ("sub_only" if not e["le"] else "both")
            timing = "same"
            if side == "sub_only" and e["gt"]:
                timing = "gl_later"
            elif side == "gl_only" and f.get("date") and f["date"] > as_of:
                timing = "gl_earlier"
            dup = side == "both" and _doubled(e["per_voucher"], b["amount"])
            feats = {"source": "external", "side": side, "doc_type": dtype, "doc_status": status, "timing": timing,
                     "duplicate": bool(dup), "unit_ratio": side == "both" and not dup and _is_unit_ratio(e["le"], b["amount"], [key]),
                     "invoiced": f.get("invoiced"), "settled": f.get("settled")}
            reason = (f"{TYPE_NAMES.get(dtype, dtype or '单据')} {ref}：外部总账 {fmt_money(e['le'])}，本系统 {fmt_money(b['amount'])}"
                      + (f"，外部凭证在 {as_of} 之后" if timing == "gl_later" else "")
                      + (f"，单据日期在 {as_of} 之后" if timing == "gl_earlier" else "")
                      + (f"（按{'单据号' if e['by'] == 'reference' else '凭证号'}匹配）" if e["by"] else ""))
            items.append(Attribution(amount, None, None, reason, refs=[ref] if ref else [], doc_ids=[key] if isinstance(key, int) else [],
                                     voucher_ids=sorted(b["vids"]), external_rows=sorted(e["rows"]), features=feats))
        for (d, vno), g in sorted(loose.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            if g["le"]:
                items.append(Attribution(g["le"], None, None, f"外部凭证 {vno}（{d}）在本系统找不到对应单据或凭证",
                                         refs=[vno], external_rows=sorted(g["rows"]),
                                         features={"source": "external", "side": "gl_only", "doc_status": None, "timing": "same"}))
        _attribute(pair, items, rules)
        out.append(pair)
    return out
