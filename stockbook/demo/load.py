"""``stockbook demo``: load the demo company 示例商贸有限公司 and the demo users.

The books are written only through ``post()``, one generated document after another, with one ``Books``
cache across them. Running it again posts nothing new: every document is found already posted with
identical content and skipped as a duplicate.
"""
import sys
import time
import unicodedata
from collections import Counter

from stockbook.core.errors import DocError
from stockbook.posting.books import Books
from stockbook.posting.service import TYPE_NAMES, post, ref_of

from .generate import documents
from .users import ensure_users


class DemoError(RuntimeError):
    pass


def post_demo(err=sys.stderr) -> dict:
    """Post every demo document. Returns {"posted", "duplicates", "types": Counter of every demo document's
    type, "seconds"}. A rejected document is reported on ``err`` (line, type, ref, error) and posting goes
    on; at the end any rejection raises DemoError listing them — the demo must post whole."""
    t0 = time.perf_counter()
    books = Books()
    counts = {"posted": 0, "duplicates": 0, "types": Counter()}
    rejected = []
    for n, doc in enumerate(documents(), 1):
        try:
            res = post(doc, books=books, source="demo")
        except DocError as e:
            msg = f"demo document #{n} {doc.get('type')} {ref_of(doc)} ({doc.get('date', '')}) rejected: {e.code} {e.message}"
            print(msg, file=err)
            rejected.append(msg)
            continue
        counts["posted" if res.posted else "duplicates"] += 1
        counts["types"][doc["type"]] += 1
    counts["seconds"] = time.perf_counter() - t0
    if rejected:
        raise DemoError(f"{len(rejected)} demo document(s) rejected:\n" + "\n".join(rejected[:50]))
    return counts


_SKIP = {"company", "warehouse", "item", "supplier", "customer", "account", "opening_balance", "opening_stock", "period_close"}


def summary(counts: dict) -> str:
    """A few lines on what the demo holds: documents per type and the periods closed."""
    from stockbook.ledger.models import Period

    t = counts["types"]
    lines = [f"示例商贸有限公司：新过账 {counts['posted']} 张单据，已存在跳过 {counts['duplicates']} 张"
             f"（{counts['seconds']:.1f} 秒）"]
    master = "、".join(f"{TYPE_NAMES[k]} {t[k]}" for k in ("warehouse", "item", "supplier", "customer") if t[k])
    lines.append(f"  基础资料：{master}")
    docs = [f"{TYPE_NAMES[k]} {v}" for k, v in sorted(t.items(), key=lambda kv: -kv[1]) if k not in _SKIP]
    for i in range(0, len(docs), 5):
        lines.append(("  业务单据：" if i == 0 else "            ") + "、".join(docs[i:i + 5]))
    closed = sorted(Period.objects.filter(status="closed").values_list("period", flat=True))
    if closed:
        fmt = lambda p: f"{p // 100}-{p % 100:02d}"  # noqa: E731
        lines.append(f"  已结账：{fmt(closed[0])} 至 {fmt(closed[-1])}，共 {len(closed)} 个月；当前期间未结账")
    return "\n".join(lines) + "\n"


def _w(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def logins_table(users: list[dict]) -> str:
    head = {"username": "用户名 username", "password": "密码 password", "role": "角色 role", "name": "姓名"}
    keys = list(head)
    widths = {k: max(_w(head[k]), *(_w(u[k]) for u in users)) for k in keys}
    line = lambda row: "  ".join(row[k] + " " * (widths[k] - _w(row[k])) for k in keys).rstrip()  # noqa: E731
    return "\n".join([line(head), "  ".join("-" * widths[k] for k in keys), *(line(u) for u in users)]) + "\n"


def load_demo(users_only: bool = False, out=sys.stdout) -> dict:
    counts = {}
    if not users_only:
        counts = post_demo()
        print(summary(counts), file=out, end="")
    users = ensure_users()
    print("\n演示账号 (demo logins):", file=out)
    print(logins_table(users), file=out, end="")
    return {**counts, "users": users}
