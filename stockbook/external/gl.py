"""Stockbook's vouchers against a finance package's voucher export (总账凭证核对).

External lines are grouped into external vouchers by (word, number, month of the date) — continuation
lines without date and number belong to the voucher above them (金蝶 KIS 序时簿, 精斗云 凭证列表, 云星空
write the voucher cells on its first line only). Stockbook's vouchers of the range (opening vouchers
excluded: a finance package keeps openings as balances, not vouchers) are matched one to one, by the
first rule that finds a partner:

1. ``reference``: the external reference (参考信息) or a word of the summary (摘要) is the ref of the
   voucher's document or the voucher's own number (``记-2026-01-0003``);
2. ``number_date``: same word, number and date (``记 - 3`` dated like 记-2026-01-0003);
3. ``date_amount``: same date and the same (account, amount) lines; failing that, same date and total with
   at least one (account, amount) line in common.

Every match is recorded with its rule and a sentence saying why. Within a matched pair each account's net
amount (debit − credit) is compared: an account only on one side whose amount equals an account only on
the other is ``account_mismatch``, any other difference ``amount_mismatch``. Unmatched Stockbook vouchers
give ``not_transferred`` rows, unmatched external vouchers ``external_only`` rows (one per account).
Amounts are debit-positive; ``difference`` = book − external.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field

from stockbook.core.money import fmt_money
from stockbook.ledger.models import Voucher, VoucherLine

from .values import BadValue, account_code, money_fen, text, to_date, voucher_no


@dataclass
class ExtVoucher:
    key: tuple
    label: str
    date: object
    word: str
    number: int
    period: int | None
    lines: list = field(default_factory=list)  # stored line dicts
    tokens: set = field(default_factory=set)

    def nets(self) -> dict:
        out: dict = defaultdict(int)
        for ln in self.lines:
            out[ln["account"]] += ln["debit"] - ln["credit"]
        return dict(out)


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-/.]*|[^\s,，;；:：()（）\[\]【】]+-\d{4}-\d{2}-\d{4}")
_TOTAL_WORDS = ("合计", "总计", "本期合计", "本年累计", "累计")


def read_lines(prep, d_from, d_to):
    """→ (external vouchers in range, all good lines, errors, skipped out of range)."""
    vouchers: dict = {}
    lines, errors = [], []
    last = {"date": None, "vno": None, "word": ""}
    skipped = 0
    for n, rec in prep.records():
        try:
            acc_raw = rec.get("account")
            acc = account_code(acc_raw)
            date_raw, vno_raw = rec.get("date"), rec.get("voucher_no")
            if not acc:
                if any(w in text(v) for v in rec.values() for w in _TOTAL_WORDS) or (
                        text(rec.get("debit")) == "" and text(rec.get("credit")) == ""):
                    continue  # 合计 rows (blank account) and empty lines
                raise BadValue("科目编码为空")
            if text(date_raw) == "" and text(vno_raw) == "":
                if last.get("broken"):
                    raise BadValue(f"所属凭证的首行（第 {last['broken']} 行）有错误")
                if last["date"] is None:
                    raise BadValue("日期和凭证号为空，且上方没有凭证")
                d, vno, word = last["date"], last["vno"], last["word"]
            else:
                d = to_date(date_raw)
                if d is None:
                    raise BadValue("日期为空")
                word = text(rec.get("word"))
                if not text(vno_raw):
                    raise BadValue("凭证号为空")
                vno = voucher_no(vno_raw, word)
                if vno is None:
                    raise BadValue(f"凭证号无法识别：{text(vno_raw)[:40]}")
                last.update(date=d, vno=vno, word=word, broken=None)
            debit = money_fen(rec.get("debit"), "借方金额")
            credit = money_fen(rec.get("credit"), "贷方金额")
        except BadValue as e:
            errors.append({"row": n, "code": e.code, "message": f"第 {n} 行：{e.message}"})
            if text(rec.get("date")) or text(rec.get("voucher_no")):
                last["broken"] = n  # its continuation lines must not join the voucher above
            continue
        line = {"row_no": n, "date": d, "voucher_no": f"{vno[0]}-{vno[1]}", "account": acc, "debit": debit, "credit": credit,
                "summary": text(rec.get("summary"))[:500], "reference": text(rec.get("reference"))[:255], "voucher": None}
        lines.append(line)
        if (d_from and d < d_from) or (d_to and d > d_to):
            skipped += 1
            continue
        period = vno[2] or d.year * 100 + d.month
        key = (vno[0], vno[1], period)
        ev = vouchers.get(key)
        if ev is None:
            label = f"{vno[0]}-{vno[1]}" if vno[2] is None else f"{vno[0]}-{vno[2] // 100:04d}-{vno[2] % 100:02d}-{vno[1]:04d}"
            ev = vouchers[key] = ExtVoucher(key, label, d, vno[0], vno[1], vno[2])
        ev.lines.append(line)
        for s in (line["reference"], line["summary"]):
            if s:
                ev.tokens.add(s)
                ev.tokens.update(_TOKEN.findall(s))
    return list(vouchers.values()), lines, errors, skipped


@dataclass
class BookVoucher:
    id: int
    label: str
    word: str
    number: int
    period: int
    date: object
    ref: str
    nets: dict


def book_vouchers(d_from, d_to) -> list[BookVoucher]:
    qs = Voucher.objects.exclude(kind=Voucher.OPENING)
    if d_from:
        qs = qs.filter(date__gte=d_from)
    if d_to:
        qs = qs.filter(date__lte=d_to)
    out = {}
    for pk, word, period, number, d, ref in qs.values_list("pk", "word", "period", "number", "date", "document__ref"):
        out[pk] = BookVoucher(pk, f"{word}-{period // 100:04d}-{period % 100:02d}-{number:04d}", word, number, period, d, ref or "", {})
    lq = VoucherLine.objects.filter(voucher_id__in=list(out)) if len(out) < 5000 else VoucherLine.objects.filter(voucher__in=qs)
    for vid, code, debit, credit in lq.values_list("voucher_id", "account__code", "debit", "credit"):
        bv = out.get(vid)
        if bv is not None:
            bv.nets[code] = bv.nets.get(code, 0) + debit - credit
    return sorted(out.values(), key=lambda b: (b.date, b.word, b.period, b.number))


def _sig(nets: dict):
    return frozenset((a, v) for a, v in nets.items() if v)


def match(evs: list[ExtVoucher], bvs: list[BookVoucher]) -> list[tuple]:
    """[(ext voucher, book voucher, rule, reason)], one to one."""
    by_ref = defaultdict(list)
    by_num = {}
    by_date = defaultdict(list)
    for b in bvs:
        if b.ref:
            by_ref[b.ref].append(b)
        by_ref[b.label].append(b)
        by_num[(b.word, b.number, b.date)] = b
        by_date[b.date].append(b)
    used: set = set()
    pairs = []
    left = []
    for ev in evs:  # rule 1
        hit = None
        for tok in sorted(ev.tokens):
            cands = [b for b in by_ref.get(tok, ()) if b.id not in used]
            if cands:
                hit = next((b for b in cands if b.date == ev.date), cands[0])
                what = "凭证号" if tok == hit.label else "单据编号"
                reason = f"外部凭证 {ev.label} 的参考信息/摘要含{what}“{tok}”，对应本系统凭证 {hit.label}"
                break
        if hit is not None:
            used.add(hit.id)
            pairs.append((ev, hit, "reference", reason))
        else:
            left.append(ev)
    rest = []
    for ev in left:  # rule 2
        b = by_num.get((ev.word, ev.number, ev.date))
        if b is not None and b.id not in used and (ev.period is None or ev.period == b.period):
            used.add(b.id)
            pairs.append((ev, b, "number_date", f"凭证字号 {ev.word}-{ev.number} 与日期 {ev.date.isoformat()} 相同"))
        else:
            rest.append(ev)
    last = []
    for ev in rest:  # rule 3, exact
        sig = _sig(ev.nets())
        b = next((b for b in by_date.get(ev.date, ()) if b.id not in used and _sig(b.nets) == sig), None)
        if b is not None:
            used.add(b.id)
            pairs.append((ev, b, "date_amount", f"日期 {ev.date.isoformat()} 相同，且各科目金额完全一致"))
        else:
            last.append(ev)
    unmatched = []
    for ev in last:  # rule 3, loose
        sig = _sig(ev.nets())
        total = sum(v for v in ev.nets().values() if v > 0)
        b = next((b for b in by_date.get(ev.date, ()) if b.id not in used
                  and sum(v for v in b.nets.values() if v > 0) == total and _sig(b.nets) & sig), None)
        if b is not None:
            used.add(b.id)
            common = sorted(_sig(b.nets) & sig)[0]
            pairs.append((ev, b, "date_amount", f"日期 {ev.date.isoformat()} 相同，借方合计 {fmt_money(total)} 相同，"
                                                f"且科目 {common[0]} 金额 {fmt_money(common[1])} 相同"))
        else:
            unmatched.append(ev)
    return pairs, unmatched, [b for b in bvs if b.id not in used]


def _row(voucher, ext, account, book, external, cause, **extra):
    r = {"voucher": voucher, "external_voucher": ext, "account": account, "book_amount": fmt_money(book),
         "external_amount": fmt_money(external), "difference": fmt_money(book - external), "cause": cause}
    r.update(extra)
    return r


def compare(pairs, unmatched_ext, unmatched_book) -> list[dict]:
    rows = []
    for ev, b, _rule, _why in pairs:
        en, bn = ev.nets(), b.nets
        only_e = {a: v for a, v in en.items() if a not in bn and v}
        done = set()
        for a in sorted(a for a, v in bn.items() if a not in en and v):
            partner = next((x for x in sorted(only_e) if only_e[x] == bn[a]), None)
            if partner is not None:
                rows.append(_row(b.label, ev.label, a, bn[a], only_e.pop(partner), "account_mismatch", external_account=partner))
                done |= {a, partner}
        for a in sorted(set(bn) | set(en)):
            if a in done:
                continue
            bv, xv = bn.get(a, 0), en.get(a, 0)
            if bv != xv:
                rows.append(_row(b.label, ev.label, a, bv, xv, "amount_mismatch"))
    for b in unmatched_book:
        for a in sorted(b.nets):
            if b.nets[a]:
                rows.append(_row(b.label, None, a, b.nets[a], 0, "not_transferred"))
    for ev in unmatched_ext:
        for a, v in sorted(ev.nets().items()):
            if v:
                rows.append(_row(None, ev.label, a, 0, v, "external_only"))
    return rows


def reconcile(prep, d_from, d_to):
    """→ (rows, matches, errors, stored lines, summary)."""
    evs, lines, errors, skipped = read_lines(prep, d_from, d_to)
    bvs = book_vouchers(d_from, d_to)
    pairs, unmatched_ext, unmatched_book = match(evs, bvs)
    for ev, b, _r, _w in pairs:
        for ln in ev.lines:
            ln["voucher"] = b.id
    pairs.sort(key=lambda p: (p[1].date, p[1].label))
    unmatched_ext.sort(key=lambda e: (e.date, e.word, e.number))
    rows = compare(pairs, unmatched_ext, unmatched_book)
    matches = [{"voucher": b.label, "external_voucher": ev.label, "rule": rule, "reason": why}
               for ev, b, rule, why in pairs]
    summary = {"rows_read": len(lines) + len(errors), "rows_ok": len(lines), "rows_bad": len(errors), "out_of_range": skipped,
               "external_vouchers": len(evs), "book_vouchers": len(bvs), "matched": len(pairs), "differences": len(rows)}
    return rows, matches, errors, lines, summary
