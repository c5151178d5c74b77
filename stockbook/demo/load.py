"""``stockbook demo``: load the demo company 示例商贸有限公司 and the demo users.

The books are written only through ``post()``, one generated document after another, with one ``Books``
cache across them. Running it again posts nothing new: every document is found already posted with
identical content and skipped as a duplicate.
"""
import sys
import unicodedata

from stockbook.core.errors import DocError
from stockbook.posting.books import Books
from stockbook.posting.service import post, ref_of

from .generate import documents
from .users import ensure_users


class DemoError(RuntimeError):
    pass


def post_demo() -> dict:
    """Post every demo document; returns counts {"posted": n, "duplicates": n}. Raises DemoError on a rejection."""
    books = Books()
    counts = {"posted": 0, "duplicates": 0}
    for n, doc in enumerate(documents(), 1):
        try:
            res = post(doc, books=books, source="demo")
        except DocError as e:
            raise DemoError(f"demo document #{n} {doc.get('type')} {ref_of(doc)} rejected: {e.code} {e.message}") from e
        counts["posted" if res.posted else "duplicates"] += 1
    return counts


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
        print(f"示例商贸有限公司：新过账 {counts['posted']} 张单据，已存在跳过 {counts['duplicates']} 张", file=out)
    users = ensure_users()
    print("\n演示账号 (demo logins):", file=out)
    print(logins_table(users), file=out, end="")
    return {**counts, "users": users}
