"""Dashboard load benchmark: the 对账看板 data endpoints under 50 concurrent clients, and how soon a posting
shows on the dashboard.

    python -m bench.dashboard_load [--moves 1000000] [--clients 50] [--seconds 30] [--workers <cores>] [--threads 6]

1. The 1,000,000-move database (``bench.stockrun.cached``: built once, kept under var/bench/) is copied to a
   temporary directory; its two warehouses get regions (华东, 华北) and its items ten categories, and three
   users are added: an administrator, a 华东 regional manager and a warehouse clerk (quantities only).
2. gunicorn serves the app on 127.0.0.1 (``--workers`` × ``--threads``, gthread). Every client logs in
   through the login form; the first round of requests fills the maintained results (timed: "cold").
3. After an unmeasured warm-up (``--warmup`` s), ``--clients`` threads — each its own login and keep-alive
   connection, one request at a time, no think time — fire at the data endpoints (overview, by-warehouse,
   heatmap, trend, details, details?warehouse=, my-cases, version) for ``--seconds``, as the three users
   (60 % / 20 % / 20 %). p50/p95/p99 of every request, and p95 per endpoint.
4. With the load still running, one purchase receipt dated the as-of day is posted through the REST API
   (``POST /api/documents``, an API token), and an administrator's client polls
   ``/dashboard/data/by-warehouse`` every 100 ms until the warehouse's quantity shows it: seconds from
   sending the posting to the dashboard showing it.

Targets (issue 6): p95 < 300 ms; posting → dashboard < 5 s.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from .common import log, machine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
P95_TARGET_MS = 300
FRESH_TARGET_S = 5.0
PERIOD = "2025-12"
AS_OF = "2025-12-31"
PASSWORD = "bench-dash-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db_path: Path):
    """Regions, categories and the three users on the copy (run in a child process: Django set up there)."""
    code = f"""
import os
os.environ["STOCKBOOK_DATABASE_URL"] = "sqlite:///{db_path}"
from stockbook.cli import _setup
_setup("sqlite:///{db_path}")
from django.contrib.auth.models import User
from stockbook.access.models import Scope
from stockbook.masterdata.models import Category, Item, Region, Warehouse
from tests.roles import role_user
east, _ = Region.objects.get_or_create(code="华东", defaults={{"name": "华东"}})
north, _ = Region.objects.get_or_create(code="华北", defaults={{"name": "华北"}})
whs = list(Warehouse.objects.order_by("code"))
for n, w in enumerate(whs):
    w.region = east if n % 2 == 0 else north
    w.save(update_fields=["region"])
cats = [Category.objects.get_or_create(code=f"C{{k:02d}}", defaults={{"name": f"分类{{k:02d}}"}})[0] for k in range(10)]
for k, c in enumerate(cats):
    Item.objects.filter(id__in=[i for i in Item.objects.values_list("id", flat=True) if i % 10 == k]).update(category=c)
if not User.objects.filter(username="bench_admin").exists():
    role_user("bench_admin", "系统管理员", "{PASSWORD}")
    Scope.objects.create(user=role_user("bench_east", "区域经理", "{PASSWORD}")).regions.add(east)
    role_user("bench_wh", "仓库", "{PASSWORD}")
from stockbook.masterdata.models import Supplier
from stockbook.users.models import ApiToken
print(ApiToken.issue(User.objects.get(username="bench_admin"), "bench")[1])
print(whs[0].code, Item.objects.order_by("code").values_list("code", flat=True).first(),
      Supplier.objects.order_by("code").values_list("code", flat=True).first())
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    token, wh, item, supplier = out.stdout.split()[-4:]
    return token, wh, item, supplier


class Session:
    """A logged-in HTTP client (session cookie) on a keep-alive connection. Not shared between threads."""

    def __init__(self, port: int, username: str):
        self.port, self.cookies, self.conn = port, {}, None
        status, body, _ = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        status, body, _ = self.request("POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                                 "Referer": f"http://127.0.0.1:{port}/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login as {username} failed: HTTP {status}")

    def request(self, method, path, body=None, headers=None):
        """One request on this session's keep-alive connection (reopened when the server closed it)."""
        h = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if r.getheader("Connection", "").lower() == "close" or r.will_close:
            self.conn.close()
            self.conn = None
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return r.status, data, r

    def get_json(self, path):
        status, data, _ = self.request("GET", path)
        return status, (json.loads(data) if data.startswith("{") else None)


def endpoints(wh: str) -> list[str]:
    q = f"?period={PERIOD}"
    return [f"/dashboard/data/overview{q}", f"/dashboard/data/by-warehouse{q}", f"/dashboard/data/heatmap{q}",
            f"/dashboard/data/trend{q}", f"/dashboard/data/details{q}", f"/dashboard/data/details{q}&warehouse={wh}",
            f"/dashboard/data/my-cases{q}", "/dashboard/data/version"]


LAST_PER_ENDPOINT: dict = {}


def load(clients, paths, seconds: float, stop_evt=None):
    """One thread per (user, session) in ``clients``, requesting the paths round-robin from a random start."""
    lat, errors, lock = [], [], threading.Lock()
    per = LAST_PER_ENDPOINT
    per.clear()
    deadline = time.monotonic() + seconds

    def client(n, who, s):
        k = random.Random(n).randrange(len(paths))
        mine, errs = [], []
        while time.monotonic() < deadline and not (stop_evt and stop_evt.is_set()):
            p = paths[k % len(paths)]
            k += 1
            if who == "east" and "warehouse=" in p:
                p = p.split("&warehouse=")[0]  # her scope: the other region's warehouse would be 403
            t0 = time.perf_counter()
            try:
                status, _, _ = s.request("GET", p)
            except OSError as e:
                errs.append(str(e))
                continue
            mine.append(time.perf_counter() - t0)
            with lock:
                per.setdefault(p.split("?")[0].rsplit("/", 1)[-1] + ("(wh)" if "warehouse=" in p else ""), []).append(mine[-1])
            if status != 200:
                errs.append(f"{status} {p}")
        with lock:
            lat.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=client, args=(n, who, s), daemon=True) for n, (who, s) in enumerate(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, errors, time.monotonic() - t0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.dashboard_load", description=__doc__.split("\n")[0])
    ap.add_argument("--moves", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="gunicorn worker processes (default: one per core — more only adds switching)")
    ap.add_argument("--threads", type=int, default=6, help="gunicorn gthread threads per worker (default 6)")
    ap.add_argument("--warmup", type=float, default=10, help="seconds of unmeasured load first (default 10)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    from . import stockrun

    m = machine()
    print(f"machine: {m['cpu']}, nproc {m['nproc']}, {m['memory']} RAM; Python {m['python']}; SQLite {m['sqlite']}; {m['load']} at start",
          flush=True)
    notes = []
    src = stockrun.cached("history", notes, docs=args.moves // 10, items=args.items, warehouses=2)
    tmp = Path(tempfile.mkdtemp(prefix="stockbook-dash-"))
    server = None
    try:
        db = tmp / "dash.db"
        log(f"  copying {src.name} …")
        shutil.copyfile(src, db)
        token, wh, item, supplier = prepare(db)
        port = _free_port()
        env = {**os.environ, "STOCKBOOK_DATABASE_URL": f"sqlite:///{db}", "STOCKBOOK_VAR_DIR": str(tmp / "var"),
               "STOCKBOOK_ALLOWED_HOSTS": "127.0.0.1,localhost"}
        (tmp / "var").mkdir()
        log(f"  gunicorn on 127.0.0.1:{port}, {args.workers} workers × {args.threads} threads …")
        server = subprocess.Popen([str(BIN / "gunicorn"), "stockbook.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
                                   "-k", "gthread", "--threads", str(args.threads), "--timeout", "300", "--log-level", "warning"], cwd=ROOT, env=env)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        log(f"  {args.clients} clients log in (60 % administrator, 20 % regional manager, 20 % warehouse clerk) …")
        rnd = random.Random(7)
        who_of = [rnd.choices(["admin", "east", "wh"], [0.6, 0.2, 0.2])[0] for _ in range(args.clients)]
        clients = [(who, Session(port, f"bench_{who}")) for who in who_of]
        sessions = {w: [s for who, s in clients if who == w] or [Session(port, f"bench_{w}")] for w in ("admin", "east", "wh")}
        paths = endpoints(wh)
        # cold: the first round computes and stores the engine's results
        t0 = time.perf_counter()
        for who in ("admin", "east", "wh"):
            for p in paths:
                if who == "east" and "warehouse=" in p:
                    continue
                status, body = sessions[who][0].get_json(p)
                if status != 200:
                    raise SystemExit(f"{who} {p}: HTTP {status} {body}")
        cold = time.perf_counter() - t0
        for who in ("admin", "east", "wh"):  # a second round: every worker's memo (and the snapshots) settle
            for s in sessions[who][:3]:
                for p in paths:
                    if not (who == "east" and "warehouse=" in p):
                        s.request("GET", p)
        log(f"  cold first round {cold:.1f} s; warm-up load {args.warmup:g} s (every worker fills its memo) …")
        load(clients, paths, args.warmup)
        log(f"  load: {args.clients} clients × {args.seconds:g} s …")
        lat, errors, took = load(clients, paths, args.seconds)
        p50, p95, p99 = (pct(lat, p) * 1000 for p in (50, 95, 99))
        by_ep = "; ".join(f"{k} p95 {pct(v, 95) * 1000:.0f}" for k, v in sorted(LAST_PER_ENDPOINT.items()))
        notes.append(f"per endpoint (ms): {by_ep}")
        rate = len(lat) / took

        # a posting while the load goes on
        log("  posting one receipt through the REST API under load …")
        admin = Session(port, "bench_admin")  # the watcher: its own session and connection
        admin.get_json(f"/dashboard/data/by-warehouse?period={PERIOD}")
        stop = threading.Event()
        bg = threading.Thread(target=lambda: bg_res.append(load(clients, paths, 120, stop)), daemon=True)
        bg_res = []
        bg.start()
        time.sleep(3)
        path = f"/dashboard/data/by-warehouse?period={PERIOD}"
        before = {r["warehouse"]["code"]: r["qty"] for r in admin.get_json(path)[1]["rows"]}[wh]
        ref = f"DASH-{os.getpid()}"
        doc = json.dumps({"type": "purchase_receipt", "ref": ref, "date": AS_OF, "supplier": supplier, "warehouse": wh,
                          "lines": [{"item": item, "qty": "7", "unit_price": "10.00"}]}, ensure_ascii=False).encode()
        t_start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/api/documents", body=doc, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read().decode()
        conn.close()
        t_commit = time.monotonic()
        if resp.status != 201:
            raise SystemExit(f"posting failed: HTTP {resp.status} {body}")
        seen = None
        while time.monotonic() - t_commit < 60:
            status, body = admin.get_json(path)
            if status == 200 and {r["warehouse"]["code"]: r["qty"] for r in body["rows"]}[wh] != before:
                seen = time.monotonic()
                break
            time.sleep(0.1)
        stop.set()
        bg.join()
        lat2, errors2, _ = bg_res[0]
        fresh = (seen - t_commit) if seen else float("inf")
        fresh_total = (seen - t_start) if seen else float("inf")

        rows = [
            ("dashboard data requests, " + f"{args.clients} clients, gunicorn {args.workers} workers × {args.threads} threads, {args.moves:,} moves",
             f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms; {rate:.0f} req/s, {len(lat):,} requests, {len(errors)} errors",
             f"p95 < {P95_TARGET_MS} ms", p95 < P95_TARGET_MS and not errors),
            ("posting → dashboard: POST /api/documents sent → the warehouse's figure changed on /dashboard/data/by-warehouse, same load",
             f"{fresh_total:.2f} s (posting {t_commit - t_start:.2f} s, then {fresh:.2f} s to show)", f"< {FRESH_TARGET_S:g} s",
             fresh_total < FRESH_TARGET_S),
            ("dashboard requests during the posting phase (incl. the recompute after it)",
             f"p50 {pct(lat2, 50) * 1000:.0f} ms, p95 {pct(lat2, 95) * 1000:.0f} ms, max {max(lat2) * 1000:.0f} ms; {len(errors2)} errors",
             "(report)", True),
            ("cold first round (engine results computed and stored)", f"{cold:.1f} s for {len(paths) * 3 - 1} requests", "(report)", True),
        ]
        import sqlite3

        with sqlite3.connect(db) as con:
            recs = con.execute("SELECT key, millis FROM recon_snapshot WHERE as_of = ? AND (key LIKE 'dashboard|cells%' OR key LIKE "
                               "'reconcile|internal|%')", (AS_OF,)).fetchall()
        notes.append("after the posting, recomputed for the as-of day: " + ", ".join(f"{k} {ms} ms" for k, ms in sorted(recs)))
        print()
        for name, fig, target, ok in rows:
            print(f"{name} | SQLite | {fig} | {target} | {'yes' if ok else 'NO'}")
        for n in notes:
            print(f"  note: {n}")
        if errors or errors2:
            print(f"  errors (first 5): {(errors + errors2)[:5]}")
        print(f"  {machine()['load']} at the end", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"rows": rows, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "rate": rate,
                                                   "fresh_s": fresh}, ensure_ascii=False, indent=2))
        return 0 if all(ok for *_, ok in rows) else 1
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
