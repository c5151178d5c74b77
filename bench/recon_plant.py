"""Scenarios with planted differences, for the attribution tests and ``python -m bench.recon_quality``.

A scenario is a month of real documents posted through ``post()`` (receipts, purchase invoices with price
differences, deliveries, sales invoices, counts, settlements, scraps, transfers), the external general
ledger a finance package would hold if every Stockbook voucher had been transferred to it (金蝶-style
account codes ``2202.02``, its own voucher numbers, the document ref as 参考信息), and then planted
differences of every cause, each with the pairs, amounts and documents it must be found with:

internal books: ``manual_journal`` (a journal on the inventory account), ``opening_mismatch`` (opening
balance ≠ opening stock); external books: ``uninvoiced_receipt``, ``uninvoiced_delivery``,
``unsettled_count`` (the document never reached the finance package and is not invoiced / settled),
``not_transferred`` (any other posted document missing there), ``cutoff`` (its voucher dated in the next
month), ``in_transit`` (a receipt of next month already booked by finance), ``unit_error`` (amounts
1000× off), ``price_difference_unposted`` (an invoice's price difference booked to 5401 instead of
inventory), ``duplicate_entry`` (a voucher booked twice), ``external_only`` (finance-only vouchers),
``unposted_document`` (booked by finance, waiting for approval in Stockbook).

The oracle is the plant itself: the expected amount is what the plant removed or added, per pair, read
from Stockbook's own voucher of the document before the plant — never from the engine.
"""
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

MONTH_END = date(2026, 1, 31)
NEXT_FROM, EXT_TO = date(2026, 2, 1), date(2026, 2, 10)
ITEMS = [("A001", "铜线", "kg", {"t": "1000"}), ("B002", "插座", "pcs", {}), ("C003", "电缆", "m", {"km": "1000"}),
         ("D004", "开关", "pcs", {}), ("E005", "灯管", "pcs", {"箱": "24"})]
WAREHOUSES = [("WH1", "华东主仓"), ("WH2", "华南仓"), ("WH3", "华北仓")]


@dataclass
class Expect:
    pair: str
    cause: str | None  # None: must stay unexplained
    amount: int  # 分, the pair's normal direction
    refs: list


@dataclass
class Scenario:
    seed: int
    ext: list = field(default_factory=list)  # engine.ExtLine
    expects: list = field(default_factory=list)
    planted: dict = field(default_factory=lambda: defaultdict(int))  # cause → number of plants


def _post(doc):
    from stockbook.core.errors import DocError
    from stockbook.posting.service import post

    try:
        return post(doc)
    except DocError:
        return None


def _d(day: int, month=1) -> str:
    return date(2026, month, day).isoformat()


def build_books(rng: random.Random, n_receipts=40, opening_delta=0):
    """The company, openings and a month of documents; returns {ref: type} of what was posted."""

    _post({"type": "company", "code": "PLANT", "name": "华信电气商贸有限公司", "chart": "small_enterprise",
           "costing_method": "moving_average", "start_period": "2026-01", "currency": "CNY"})
    for code, name in WAREHOUSES:
        _post({"type": "warehouse", "code": code, "name": name})
    for code, name, uom, units in ITEMS:
        _post({"type": "item", "code": code, "name": name, "uom": uom, "units": units, "tax_rate": "0.13", "account": "1405"})
    for n in range(1, 5):
        _post({"type": "supplier", "code": f"S0{n}", "name": f"供应商{n}"})
        _post({"type": "customer", "code": f"C0{n}", "name": f"客户{n}"})
    stock = defaultdict(int)
    open_lines, total = [], 0
    for code, _, _, _ in ITEMS:
        for wh, _ in WAREHOUSES:
            q = rng.randint(50, 200)
            amt = q * rng.randint(20, 90)
            open_lines.append((wh, code, q, amt))
            stock[(wh, code)] += q
            total += amt
    for wh, _ in WAREHOUSES:
        _post({"type": "opening_stock", "date": "2025-12-31", "warehouse": wh,
               "lines": [{"item": c, "qty": str(q), "amount": f"{a}.00"} for w, c, q, a in open_lines if w == wh]})
    ob = total * 100 + opening_delta
    _post({"type": "opening_balance", "date": "2025-12-31", "ref": "OB-1", "lines": [
        {"account": "1405", "debit": f"{ob // 100}.{ob % 100:02d}"}, {"account": "1002", "debit": "5000000.00"},
        {"account": "3001", "credit": f"{(ob + 500000000) // 100}.{(ob + 500000000) % 100:02d}"}]})
    posted = {}
    receipts, deliveries = [], []
    for n in range(1, n_receipts + 1):
        wh, _ = rng.choice(WAREHOUSES)
        code = rng.choice(ITEMS)[0]
        q, price = rng.randint(5, 60), rng.randint(20, 95)
        day = rng.randint(2, 27)
        ref = f"RK-{n:03d}"
        if _post({"type": "purchase_receipt", "ref": ref, "date": _d(day), "supplier": rng.choice(["S01", "S02", "S03"]),
                  "warehouse": wh, "lines": [{"item": code, "qty": str(q), "unit_price": f"{price}.00"}]}):
            posted[ref] = "purchase_receipt"
            receipts.append((ref, day, code, q, price))
            stock[(wh, code)] += q
        wh2, _ = rng.choice(WAREHOUSES)
        code2 = rng.choice(ITEMS)[0]
        q2 = rng.randint(1, 20)
        if stock[(wh2, code2)] >= q2:
            ref2 = f"CK-{n:03d}"
            if _post({"type": "sales_delivery", "ref": ref2, "date": _d(rng.randint(day, 28)), "customer": rng.choice(["C01", "C02", "C03"]),
                      "warehouse": wh2, "lines": [{"item": code2, "qty": str(q2), "unit_price": f"{rng.randint(100, 160)}.00"}]}):
                posted[ref2] = "sales_delivery"
                deliveries.append(ref2)
                stock[(wh2, code2)] -= q2
    # invoices for about half of them, some at a different price (单到补差)
    from stockbook.posting.models import Document

    for ref, day, code, q, price in receipts[::2]:
        doc = Document.objects.get(type="purchase_receipt", ref=ref)
        p = price + rng.choice([0, 0, 1, -2, 3])
        iref = "FP-" + ref[3:]
        if _post({"type": "purchase_invoice", "ref": iref, "date": _d(max(day, 28)), "supplier": doc.supplier.code,
                  "lines": [{"receipt": ref, "line": 1, "qty": str(q), "unit_price": f"{p}.00"}]}):
            posted[iref] = "purchase_invoice"
    for ref in deliveries[::2]:
        doc = Document.objects.get(type="sales_delivery", ref=ref)
        ln = doc.lines.get(line_no=1)
        from stockbook.core.money import fmt_qty

        sref = "XS-" + ref[3:]
        if _post({"type": "sales_invoice", "ref": sref, "date": _d(28), "customer": doc.customer.code,
                  "lines": [{"delivery": ref, "line": 1, "qty": fmt_qty(ln.qty), "unit_price": ln.unit_price}]}):
            posted[sref] = "sales_invoice"
    # counts (half settled), scraps, a transfer
    for n, (wh, _) in enumerate(WAREHOUSES, 1):
        code = ITEMS[n][0]
        kref = f"PD-{n:03d}"
        if _post({"type": "stock_count", "ref": kref, "date": _d(29), "warehouse": wh,
                  "lines": [{"item": code, "counted_qty": str(stock[(wh, code)] + rng.choice([-3, -2, 2, 4]))}]}):
            posted[kref] = "stock_count"
            if n % 2:
                if _post({"type": "count_settlement", "ref": f"PC-{n:03d}", "date": _d(30), "count": kref}):
                    posted[f"PC-{n:03d}"] = "count_settlement"
        sref = f"BF-{n:03d}"
        if stock[(wh, ITEMS[0][0])] > 2 and _post({"type": "scrap", "ref": sref, "date": _d(20), "warehouse": wh,
                                                   "lines": [{"item": ITEMS[0][0], "qty": "1"}]}):
            posted[sref] = "scrap"
            stock[(wh, ITEMS[0][0])] -= 1
    if stock[("WH1", "B002")] > 3 and _post({"type": "transfer", "ref": "DB-001", "date": _d(15), "from": "WH1", "to": "WH2",
                                            "lines": [{"item": "B002", "qty": "3"}]}):
        posted["DB-001"] = "transfer"
    # next month's receipts (cut-off and in-transit material)
    for n in range(1, 6):
        ref = f"RK-2{n:02d}"
        if _post({"type": "purchase_receipt", "ref": ref, "date": _d(n + 1, 2), "supplier": "S04", "warehouse": "WH1",
                  "lines": [{"item": "D004", "qty": "10", "unit_price": f"{40 + n}.00"}]}):
            posted[ref] = "purchase_receipt"
    return posted


def transferred_ledger() -> list:
    """The finance package's general ledger if every Stockbook voucher had been transferred: one ExtLine per
    voucher line (openings left out), its own voucher numbers, the document ref as reference."""
    from stockbook.ledger.models import Voucher, VoucherLine
    from stockbook.recon.demo import kingdee_code
    from stockbook.recon.engine import ExtLine

    out, numbers = [], defaultdict(int)
    vouchers = Voucher.objects.exclude(kind=Voucher.OPENING).select_related("document").order_by("date", "id")
    lines = defaultdict(list)
    for ln in VoucherLine.objects.filter(voucher__in=vouchers).select_related("account").order_by("id"):
        lines[ln.voucher_id].append(ln)
    for v in vouchers:
        numbers[v.period] += 1
        for ln in lines[v.id]:
            out.append(ExtLine(v.date, f"记-{numbers[v.period]}", kingdee_code(ln.account.code), ln.debit, ln.credit,
                               v.memo or "", v.document.ref if v.document_id else "", len(out) + 2))
    return out


PAIR_CODES = [("stock:1405", "1405", 1), ("grni:220202", "220202", -1), ("ar:1122", "1122", 1), ("ap:220201", "220201", -1),
              ("count:1901", "1901", 1), ("transit:1402", "1402", 1)]


def _pair_amounts(lines) -> dict:
    from stockbook.recon.engine import norm_account

    out = defaultdict(int)
    for ln in lines:
        a = norm_account(ln.account)
        for key, code, sign in PAIR_CODES:
            if a.startswith(code):
                out[key] += sign * (ln.debit - ln.credit)
    return out


def plant(rng: random.Random, posted: dict, ext: list, per_cause=3) -> tuple[list, list, dict]:
    """Perturb ``ext`` with planted differences; returns (new ext, expectations, plants per cause)."""
    from stockbook.posting.models import Document

    by_ref = defaultdict(list)
    for ln in ext:
        by_ref[ln.reference].append(ln)
    docs = {d.ref: d for d in Document.objects.filter(ref__in=list(posted))}
    invoiced = set(Document.objects.filter(type__in=("purchase_invoice", "sales_invoice")).values_list("lines__ref_document__ref", flat=True))
    settled = set(Document.objects.filter(type="count_settlement").values_list("ref_document__ref", flat=True))
    used, expects, counts = set(), [], defaultdict(int)
    drop, moved, scaled, dup, relabel = set(), {}, set(), set(), set()

    def pick(pred, n):
        cands = sorted(r for r, t in posted.items() if r not in used and by_ref.get(r) and pred(r, t))
        rng.shuffle(cands)
        out = cands[:n]
        used.update(out)
        return out

    def expect_missing(ref, cause):
        for key, amt in _pair_amounts(by_ref[ref]).items():
            if amt:
                expects.append(Expect(key, cause, -amt, [ref]))
        counts[cause] += 1

    in_month = lambda r: docs[r].date <= MONTH_END  # noqa: E731
    for r in pick(lambda r, t: t == "purchase_receipt" and r not in invoiced and in_month(r), per_cause):
        drop.add(r)
        expect_missing(r, "uninvoiced_receipt")
    for r in pick(lambda r, t: t == "sales_delivery" and r not in invoiced and in_month(r), per_cause):
        drop.add(r)
        expect_missing(r, "uninvoiced_delivery")
    for r in pick(lambda r, t: t == "stock_count" and r not in settled, 1):
        drop.add(r)
        expect_missing(r, "unsettled_count")
    for r in pick(lambda r, t: t in ("scrap", "sales_invoice", "count_settlement") and in_month(r), per_cause):
        drop.add(r)
        expect_missing(r, "not_transferred")
    for r in pick(lambda r, t: t in ("purchase_receipt", "sales_delivery", "scrap") and in_month(r) and docs[r].date.day >= 20, per_cause):
        moved[r] = "later"
        expect_missing(r, "cutoff")
    for r in pick(lambda r, t: t == "purchase_receipt" and docs[r].date > MONTH_END, per_cause):
        moved[r] = "earlier"
        for key, amt in _pair_amounts(by_ref[r]).items():
            if amt:
                expects.append(Expect(key, "in_transit", amt, [r]))
        counts["in_transit"] += 1
    for r in pick(lambda r, t: t in ("purchase_receipt", "sales_delivery") and in_month(r), per_cause):
        scaled.add(r)
        for key, amt in _pair_amounts(by_ref[r]).items():
            if amt:
                expects.append(Expect(key, "unit_error", amt * 999, [r]))
        counts["unit_error"] += 1
    pd = [r for r, t in posted.items() if t == "purchase_invoice" and any(ln.account == "1405" for ln in by_ref.get(r, []))]
    for r in pick(lambda r, t: r in pd and in_month(r), per_cause):
        relabel.add(r)
        amt = sum(ln.debit - ln.credit for ln in by_ref[r] if ln.account == "1405")
        expects.append(Expect("stock:1405", "price_difference_unposted", -amt, [r]))
        counts["price_difference_unposted"] += 1
    for r in pick(lambda r, t: t in ("purchase_receipt", "sales_delivery", "purchase_invoice", "sales_invoice") and in_month(r), per_cause):
        dup.add(r)
        for key, amt in _pair_amounts(by_ref[r]).items():
            if amt:
                expects.append(Expect(key, "duplicate_entry", amt, [r]))
        counts["duplicate_entry"] += 1
    # typing mistakes in finance (an amount off by a few yuan on both sides of the voucher): no cause fits,
    # the engine must leave them unexplained (expected cause None)
    typo = {}
    for r in pick(lambda r, t: t == "purchase_receipt" and in_month(r) and r in invoiced, 2):
        typo[r] = rng.randint(1, 999) * 100 + 37
        for key in ("stock:1405", "grni:220202"):
            expects.append(Expect(key, None, typo[r], [r]))
        counts["(typo, unexplained)"] += 1
    new = []
    first_voucher = {}  # reference → its document's own voucher (the first; a typo is made in one voucher)
    for ln in ext:
        first_voucher.setdefault(ln.reference, ln.voucher_no)
    for ln in ext:
        r = ln.reference
        if r in drop:
            continue
        if moved.get(r) == "later":
            ln = _replace(ln, date=NEXT_FROM + timedelta(days=rng.randint(0, 5)))
        elif moved.get(r) == "earlier":
            ln = _replace(ln, date=MONTH_END - timedelta(days=rng.randint(0, 3)))
        elif r in scaled:
            ln = _replace(ln, debit=ln.debit * 1000, credit=ln.credit * 1000)
        elif r in typo and ln.voucher_no == first_voucher[r]:
            ln = _replace(ln, debit=ln.debit + typo[r] if ln.debit else 0, credit=ln.credit + typo[r] if ln.credit else 0)
        elif r in relabel and ln.account == "1405":
            ln = _replace(ln, account="5401")
        new.append(ln)
        if r in dup:
            new.append(_replace(ln, voucher_no=ln.voucher_no + "0"))
    # finance-only vouchers: goods booked in (up) and a delivery booked out (down), no reference
    vno = 900
    for n in range(per_cause):
        amt = rng.randint(1000, 90000) * 100 + rng.randint(0, 99)
        vno += 1
        d = date(2026, 1, rng.randint(3, 30))
        if n % 2 == 0:
            new += [_ext(d, f"记-{vno}", "1405", amt, 0, "财务补记入库"), _ext(d, f"记-{vno}", "2202.02", 0, amt, "财务补记入库")]
            expects += [Expect("stock:1405", "external_only", amt, [f"记-{vno}"]), Expect("grni:220202", "external_only", amt, [f"记-{vno}"])]
        else:
            new += [_ext(d, f"记-{vno}", "5401", amt, 0, "结转成本"), _ext(d, f"记-{vno}", "1405", 0, amt, "结转成本")]
            expects.append(Expect("stock:1405", "external_only", -amt, [f"记-{vno}"]))
        counts["external_only"] += 1
    # booked by finance from the paper receipt, still waiting for approval in Stockbook
    for n in range(1, per_cause + 1):
        ref = f"RK-9{n:02d}"
        amt = (n * 1237 + rng.randint(0, 500)) * 100
        _pending_receipt(ref, amt)
        vno += 1
        new += [_ext(date(2026, 1, 25), f"记-{vno}", "1405", amt, 0, f"采购入库 {ref}", ref),
                _ext(date(2026, 1, 25), f"记-{vno}", "2202.02", 0, amt, f"采购入库 {ref}", ref)]
        expects += [Expect("stock:1405", "unposted_document", amt, [ref]), Expect("grni:220202", "unposted_document", amt, [ref])]
        counts["unposted_document"] += 1
    for n, ln in enumerate(new):
        ln.row_no = n + 2
    return new, expects, counts


def _ext(d, vno, account, debit, credit, summary, reference=""):
    from stockbook.recon.engine import ExtLine

    return ExtLine(d, vno, account, debit, credit, summary, reference)


def _replace(ln, **kw):
    from dataclasses import replace

    return replace(ln, **kw)


def _pending_receipt(ref: str, amount: int):
    """A receipt submitted for approval and not yet approved: an approvals request in state pending."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from stockbook.approvals.models import ApprovalRequest

    user, _ = get_user_model().objects.get_or_create(username="plant_buyer")
    payload = {"type": "purchase_receipt", "ref": ref, "date": "2026-01-25", "supplier": "S01", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "10", "unit_price": f"{amount // 1000}.{amount // 10 % 100:02d}"}]}
    now = timezone.now()
    ApprovalRequest.objects.create(doc_type="purchase_receipt", ref=ref, payload=json.dumps(payload, ensure_ascii=False), amount=amount,
                                   maker=user, level_started_at=now, created_at=now)


def internal_plants(rng: random.Random, opening_delta: int) -> list:
    """Journals on the inventory account (manual_journal) and the opening difference; post them."""
    out = []
    if opening_delta:
        out.append(Expect("stock:1405", "opening_mismatch", opening_delta, ["OB-1"]))
    for n in range(1, 4):
        amt = rng.randint(100, 5000) * 100 + rng.randint(0, 99)
        ref = f"JZ-{n:03d}"
        debit, credit = ("1405", "5602") if n % 2 else ("5602", "1405")
        _post({"type": "journal", "ref": ref, "date": _d(10 + n), "memo": "手工调整库存", "lines": [
            {"account": debit, "debit": f"{amt // 100}.{amt % 100:02d}", **({"item": "A001", "warehouse": "WH1"} if debit == "1405" else {})},
            {"account": credit, "credit": f"{amt // 100}.{amt % 100:02d}", **({"item": "A001", "warehouse": "WH1"} if credit == "1405" else {})}]})
        out.append(Expect("stock:1405", "manual_journal", amt if debit == "1405" else -amt, [ref]))
    return out


def score(results: list, expects: list) -> dict:
    """Compare the engine's attribution with the plants. An expectation is *right* when an item of its pair
    names its documents with its cause and amount, *wrong* when such an item has another cause, else
    *unexplained*. Items with a cause that no plant asked for count as *spurious* (wrong too)."""
    by_pair = {p.key: p for p in results}
    right = wrong = unexplained = 0
    claimed = set()
    detail = []
    for e in expects:
        p = by_pair.get(e.pair)
        hit = None
        for n, a in enumerate(p.items if p else []):
            if (e.pair, n) not in claimed and sorted(a.refs) == sorted(e.refs):
                hit = (n, a)
                break
        if hit is None:
            unexplained += 1
            detail.append(("missing", e))
            continue
        claimed.add((e.pair, hit[0]))
        a = hit[1]
        if a.cause == e.cause and a.amount == e.amount:
            right += 1
        elif a.cause is None:
            unexplained += 1
            detail.append(("unexplained", e, a.amount))
        else:
            wrong += 1
            detail.append(("wrong", e, a.cause, a.amount))
    spurious = 0
    for p in results:
        for n, a in enumerate(p.items):
            if (p.key, n) not in claimed and a.cause is not None:
                spurious += 1
                detail.append(("spurious", p.key, a.cause, a.refs, a.amount))
    total = len(expects)
    return {"planted": total, "right": right, "wrong": wrong + spurious, "unexplained": unexplained,
            "right_pct": 100 * right / total if total else 100.0, "wrong_pct": 100 * (wrong + spurious) / total if total else 0.0,
            "detail": detail}


def run_scenario(seed: int, per_cause=3, n_receipts=40) -> tuple[Scenario, dict, dict]:
    """Build, plant and reconcile one scenario in the current (empty) database; returns the scenario and the
    scores of the internal and the external reconciliation."""
    from stockbook.recon.engine import reconcile_external, reconcile_internal

    rng = random.Random(seed)
    opening_delta = rng.randint(1, 9999) * 100 + rng.randint(1, 99)
    posted = build_books(rng, n_receipts=n_receipts, opening_delta=opening_delta)
    internal_expects = internal_plants(rng, opening_delta)  # before the transfer: finance has the journals too
    base_ext = transferred_ledger()
    sc = Scenario(seed)
    sc.ext, sc.expects, counts = plant(rng, posted, base_ext, per_cause)
    sc.planted.update(counts)
    sc.planted["manual_journal"] += 3
    sc.planted["opening_mismatch"] += 1
    internal = score(reconcile_internal(MONTH_END), internal_expects)
    external = score(reconcile_external(sc.ext, date(2026, 1, 1), MONTH_END), sc.expects)
    return sc, internal, external
