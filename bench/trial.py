"""Trial-balance benchmark: ``trial_balance()`` with N voucher lines (default 1,000,000) over 24 months.

The database is filled with bulk SQL (SQLite ``executemany``, PostgreSQL ``COPY``): vouchers of 10 balanced
lines on the chart's accounts, and the ``PeriodBalance`` and ``VoucherSequence`` rows that posting would
have written, computed from the same lines (checked afterwards with one GROUP BY). Then the report is
timed warm for several whole months, for half months (which sum voucher lines of the partial month),
and for a whole year.
"""
import random
import time
from datetime import date, timedelta

START = (2024, 12)
LINES_PER_VOUCHER = 10
CHUNK = 50_000  # vouchers per insert batch


def _periods(months: int):
    y, m = START
    for _ in range(months):
        yield y * 100 + m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _month_end(p: int) -> date:
    y, m = divmod(p, 100)
    return date(y + (m == 12), 1 if m == 12 else m + 1, 1) - timedelta(days=1)


def populate(n_lines: int, months: int = 24, seed: int = 7) -> dict:
    from django.db import connection, transaction

    from stockbook.ledger.models import Account
    from stockbook.posting.books import Books
    from stockbook.posting.service import post

    books = Books()
    post({"type": "company", "code": "BENCH", "name": "基准测试有限公司", "chart": "small_enterprise",
          "costing_method": "moving_average", "start_period": f"{START[0]}-{START[1]:02d}", "currency": "CNY"}, books=books)
    for i, (code, name, parent) in enumerate([("100201", "银行存款-工商银行", "1002"), ("100202", "银行存款-建设银行", "1002"),
                                              ("560201", "管理费用-办公费", "5602"), ("560202", "管理费用-差旅费", "5602"),
                                              ("560101", "销售费用-运输费", "5601")]):
        post({"type": "account", "code": code, "name": name, "parent": parent}, books=books)
    leaves = list(Account.objects.filter(children__isnull=True).values_list("pk", flat=True))
    r = random.Random(seed)
    accounts = r.sample(leaves, min(60, len(leaves)))
    vouchers_total = n_lines // LINES_PER_VOUCHER
    per_month = [vouchers_total // months + (1 if i < vouchers_total % months else 0) for i in range(months)]
    pg = connection.vendor == "postgresql"
    v_cols = ["id", "word", "period", "number", "date", "kind", "memo", "debit_total", "credit_total", "created_at"]
    l_cols = ["id", "voucher_id", "line_no", "account_id", "debit", "credit", "summary", "date", "period"]
    balances: dict[tuple[int, int], list[int]] = {}
    vid = lid = 0
    t0 = time.perf_counter()

    def insert(table, cols, rows):
        with connection.cursor() as cur:
            if pg:
                with cur.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})", rows)

    with transaction.atomic():
        vrows, lrows = [], []
        for period, count in zip(_periods(months), per_month):
            y, m = divmod(period, 100)
            days = _month_end(period).day
            dates = sorted(date(y, m, r.randint(1, days)).isoformat() for _ in range(count))
            for number, d in enumerate(dates, 1):
                vid += 1
                total = 0
                for k in range(LINES_PER_VOUCHER // 2):
                    amt = r.randint(100, 2_000_000)
                    total += amt
                    da, ca = r.choice(accounts), r.choice(accounts)
                    for acc, dr, cr in ((da, amt, 0), (ca, 0, amt)):
                        lid += 1
                        lrows.append((lid, vid, lid - (vid - 1) * LINES_PER_VOUCHER, acc, dr, cr, "基准凭证", d, period))
                        b = balances.setdefault((acc, period), [0, 0])
                        b[0] += dr
                        b[1] += cr
                vrows.append((vid, "记", period, number, d, "normal", "基准凭证", total, total, f"{d} 09:00:00+08:00" if pg else f"{d} 01:00:00"))
                if len(vrows) >= CHUNK:
                    insert("ledger_voucher", v_cols, vrows)
                    insert("ledger_voucherline", l_cols, lrows)
                    vrows, lrows = [], []
        insert("ledger_voucher", v_cols, vrows)
        insert("ledger_voucherline", l_cols, lrows)
        insert("ledger_periodbalance", ["account_id", "period", "debit", "credit"],
               [(a, p, d, c) for (a, p), (d, c) in sorted(balances.items())])
        insert("ledger_vouchersequence", ["word", "period", "last"],
               [("记", p, n) for p, n in zip(_periods(months), per_month)])
    with connection.cursor() as cur:
        if pg:  # keep the id sequences ahead of the explicit ids, as posting would
            for table in ("ledger_voucher", "ledger_voucherline"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cur.execute("ANALYZE")  # what autovacuum does on its own shortly after a bulk load
    return {"lines": lid, "vouchers": vid, "months": months, "populate_seconds": time.perf_counter() - t0}


def check_consistency() -> bool:
    """PeriodBalance equals the sums of the voucher lines, for every (account, period)."""
    from django.db import connection

    sql = """
        SELECT COUNT(*) FROM (
          SELECT account_id, period, SUM(debit) AS d, SUM(credit) AS c FROM ledger_voucherline GROUP BY account_id, period
        ) s FULL OUTER JOIN ledger_periodbalance pb ON pb.account_id = s.account_id AND pb.period = s.period
        WHERE s.d IS NULL OR pb.debit IS NULL OR s.d <> pb.debit OR s.c <> pb.credit
    """
    if connection.vendor == "sqlite":  # no FULL OUTER JOIN before SQLite 3.39: compare both ways
        sql = """
        WITH s AS (SELECT account_id, period, SUM(debit) AS d, SUM(credit) AS c FROM ledger_voucherline GROUP BY account_id, period)
        SELECT (SELECT COUNT(*) FROM s LEFT JOIN ledger_periodbalance pb ON pb.account_id = s.account_id AND pb.period = s.period
                WHERE pb.debit IS NULL OR s.d <> pb.debit OR s.c <> pb.credit)
             + (SELECT COUNT(*) FROM ledger_periodbalance pb LEFT JOIN s ON pb.account_id = s.account_id AND pb.period = s.period
                WHERE s.d IS NULL)
        """
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0] == 0


def time_reports(months: int = 24, repeat: int = 5) -> dict:
    """Warm timings (seconds) of trial_balance(): {case: [median per sample]}; every report must balance."""
    from stockbook.reports.trial_balance import trial_balance

    ps = list(_periods(months))
    picks = sorted({ps[0], ps[len(ps) // 4], ps[len(ps) // 2], ps[3 * len(ps) // 4], ps[-2], ps[-1]})
    cases = {"month": [], "half_month": [], "year": []}
    ranges = {"month": [], "half_month": [], "year": []}
    for p in picks:
        y, m = divmod(p, 100)
        ranges["month"].append((date(y, m, 1), _month_end(p)))
        ranges["half_month"].append((date(y, m, 1), date(y, m, 15)))
    last_year = ps[-1] // 100
    ranges["year"].append((date(last_year - 1, 1, 1), date(last_year - 1, 12, 31)))
    for case, rs in ranges.items():
        for a, b in rs:
            rep = trial_balance(a, b)  # warm-up (and a balance check)
            t = rep.totals
            assert t["debit"] == t["credit"] and t["opening_debit"] == t["opening_credit"], (case, a, b, t)
            samples = []
            for _ in range(repeat):
                s = time.perf_counter()
                trial_balance(a, b)
                samples.append(time.perf_counter() - s)
            samples.sort()
            cases[case].append(samples[len(samples) // 2])
    return cases
