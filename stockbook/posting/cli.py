"""``stockbook check``: the integrity checks of stockbook/posting/integrity.py (exit 1 if any fails)."""
import sys


def register(sub):
    p = sub.add_parser("check", help="check that the books are whole (numbers, balances, stock, re-costing)")
    p.add_argument("--no-recost", action="store_true", help="skip re-costing every item from scratch")
    p.set_defaults(run=run)


def run(args) -> int:
    from .integrity import check

    problems = check(recost=not args.no_recost)
    for p in problems:
        print(p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0
