"""SQLite write-ahead-log checkpoints off the posting path.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold, and its cost (copying
scattered pages back into the database file) grows with the file: at a million moves it halved the
posting rate. So each process that opens a file database runs one background thread that checkpoints the
WAL (PASSIVE: it never waits for, nor blocks, readers and writers) whenever it has grown past 1 MiB,
and truncates it at exit. A small WAL also keeps page reads cheap (every read first looks the page up in the
WAL's index): checking 10× a second at 1 MiB posted faster at a million moves than twice a second at 4 MiB,
and not slower on a small file (docs/benchmarks.md). The connections' own automatic checkpoint stays as a safety valve at a much
higher threshold, in case the thread cannot keep up (under a steady stream of postings it does fire, and
keeps the WAL, and so page reads, from growing: at 1 GiB posting at a million moves was 17 % slower). It runs
inside the commit that crosses it: a 补单 before 100,000 moves writes ≈ 200 MiB of WAL, and its commit spent
0.35 s copying pages back. So a transaction that knows it is big (core/sql.write_behind) holds the valve
open until it ends, and the thread checkpoints right after it (docs/benchmarks.md).
"""
import atexit
import os
import sqlite3
import threading
from contextlib import contextmanager

SAFETY_PAGES = 25000  # ≈ 100 MiB of WAL before a connection checkpoints by itself
HELD_PAGES = 262144  # ≈ 1 GiB: the valve while a big transaction holds it
HELD_CACHE_KIB = 8192  # the page cache of a big transaction (``hold_valve``)
WAL_LIMIT = 1024 * 1024  # the thread checkpoints once the WAL is bigger than this
INTERVAL = 0.1  # seconds between looks at the WAL's size
WIDE_MAP = 2 ** 31  # bytes of the file mapped while a replay reads an item's rows (``wide_map``)

_lock = threading.Lock()
_threads: dict[str, "Checkpointer"] = {}


def _connection_to(path: str, got: tuple | None, **kwargs) -> tuple[int, sqlite3.Connection]:
    """(inode, connection) to the file at ``path``: ``got`` if it is still a connection to that file, else a new
    one (``got``'s closed) — a file replaced under the same name (a benchmark's fresh copy) is another file."""
    inode = os.stat(path).st_ino
    if got is not None and got[0] == inode:
        return got
    if got is not None:
        got[1].close()
    return inode, sqlite3.connect(path, timeout=5, **kwargs)


class Checkpointer(threading.Thread):
    def __init__(self, path: str):
        super().__init__(name=f"sqlite-checkpoint {path}", daemon=True)
        self.path = path
        self.stopped = threading.Event()
        self.checkpoints = 0

    def checkpoint(self, mode="PASSIVE", con=None):
        """One checkpoint, on ``con`` or on a connection of its own."""
        own = con is None
        if own:
            con = sqlite3.connect(self.path, timeout=5)
        try:
            con.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            self.checkpoints += 1
        finally:
            if own:
                con.close()

    def run(self):
        # one connection for every look, opened again after an error or when the file is another one (replaced
        # under the same name): connecting costs ≈ 3 ms, the look itself 0.01 ms — while a big transaction grows
        # the WAL (its frames not committed, so nothing to copy) a look every 0.1 s took a tenth of a core from
        # its two threads (docs/benchmarks.md)
        wal = self.path + "-wal"
        got = None  # (inode, connection)
        try:
            while not self.stopped.wait(INTERVAL):
                try:
                    if os.path.getsize(wal) > WAL_LIMIT:
                        got = _connection_to(self.path, got)
                        self.checkpoint(con=got[1])
                except (OSError, sqlite3.Error):  # no WAL yet, or busy: the next look tries again
                    if got is not None:
                        got[1].close()
                    got = None
        finally:
            if got is not None:
                got[1].close()

    def stop(self):
        self.stopped.set()
        try:
            self.checkpoint("TRUNCATE")
        except sqlite3.Error:
            pass


def is_file_database(name) -> bool:
    name = str(name or "")
    return bool(name) and ":memory:" not in name and "mode=memory" not in name and not name.startswith("file:")


def ensure_checkpointer(path: str) -> Checkpointer:
    path = os.path.abspath(path)
    with _lock:
        t = _threads.get(path)
        if t is None or not t.is_alive():
            t = _threads[path] = Checkpointer(path)
            t.start()
    return t


def on_connection_created(sender, connection, **kwargs):
    if connection.vendor != "sqlite" or not is_file_database(connection.settings_dict.get("NAME")):
        return
    with connection.cursor() as cur:
        cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")
    ensure_checkpointer(connection.settings_dict["NAME"])


def hold_valve(conn) -> bool:
    """Raise the safety valve of ``conn`` (a Django connection) for the big transaction it is in, and shrink
    its page cache to ``HELD_CACHE_KIB``; True if this call did (the caller undoes both when the transaction
    ends: ``release_valve``). With the usual cache (settings: 64 MiB) a 补单 before 100,000 moves left 57 MiB of
    dirty pages for its commit to write; with a small one they go to the WAL as the writer thread runs
    (core/sql.write_behind), beside this thread's work, and the commit writes little (docs/benchmarks.md)."""
    if conn.vendor != "sqlite" or getattr(conn, "valve_held", False) or not is_file_database(conn.settings_dict.get("NAME")):
        return False
    raw = conn.connection
    conn.valve_cache = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA wal_autocheckpoint={HELD_PAGES}")
    raw.execute(f"PRAGMA cache_size=-{HELD_CACHE_KIB}")
    conn.valve_held = True
    return True


def release_valve(conn):
    """The safety valve back at ``SAFETY_PAGES`` and the page cache at its size (nothing if not held)."""
    if getattr(conn, "valve_held", False):
        conn.valve_held = False
        if conn.connection is not None:
            conn.connection.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")
            conn.connection.execute(f"PRAGMA cache_size={conn.valve_cache}")


@contextmanager
def wide_map(conn):
    """Map up to ``WIDE_MAP`` bytes of the database file for the block (``conn``: a Django connection to an
    SQLite file). The usual map (settings: 256 MiB) keeps a big report's resident memory small; a replay
    reads one item's lines and moves, scattered over the whole file, and each page beyond the map costs a
    system call: ≈ 5 % of a 补单 before 100,000 moves (docs/benchmarks.md). SQLite caps the size at its
    compile-time maximum, and changes the map only while no page of it is in use."""
    if conn.vendor != "sqlite" or not is_file_database(conn.settings_dict.get("NAME")):
        yield
        return
    conn.ensure_connection()
    raw = conn.connection
    was = raw.execute("PRAGMA mmap_size").fetchone()[0]
    raw.execute(f"PRAGMA mmap_size={WIDE_MAP}")
    try:
        yield
    finally:
        if conn.connection is raw:
            raw.execute(f"PRAGMA mmap_size={was}")


@atexit.register
def _stop_all():
    for t in list(_threads.values()):
        t.stop()
    with _side_lock:
        for _, con in _side_cons.values():
            con.close()
        _side_cons.clear()


# -- a second connection for one big read ------------------------------------------------------------------------
_side_lock = threading.Lock()
_side_cons: dict[str, tuple[int, sqlite3.Connection]] = {}


def side_reads_ok(conn) -> bool:
    """Whether ``conn`` (a Django connection) may have a read answered on a second connection to its file: an
    SQLite file whose transaction is the outermost block and began IMMEDIATE. It holds the write lock since it
    began, so nothing has been committed since, and a second connection sees what this transaction saw then
    (not what it wrote: the caller reads only rows the transaction has not written yet)."""
    return (conn.vendor == "sqlite" and is_file_database(conn.settings_dict.get("NAME")) and conn.in_atomic_block
            and not conn.savepoint_ids and getattr(conn, "transaction_mode", None) == "IMMEDIATE")


def _side_connection(path: str) -> sqlite3.Connection:
    """The process's second connection to ``path`` (``_connection_to``). Used under ``_side_lock``."""
    was = _side_cons.get(path)
    got = _side_cons[path] = _connection_to(path, was, check_same_thread=False, isolation_level=None)
    if got is not was:
        got[1].execute("PRAGMA query_only=1")
        got[1].execute(f"PRAGMA mmap_size={WIDE_MAP}")
    return got[1]


class SideRead:
    """One query with a one-value answer (a JSON aggregate) run in a thread on a second connection to the
    same file (``side_reads_ok``), while this thread reads something else on its own: SQLite releases the
    interpreter lock while it works, so the two reads overlap on two cores (a 补单 before 100,000 moves reads
    its lines there while this thread reads its moves: docs/benchmarks.md). ``row()`` waits for the answer's
    row; None if the read failed (the caller then reads on its own connection)."""

    def __init__(self, path: str, sql: str, params: list):
        self._value = None
        self._thread = threading.Thread(target=self._run, args=(os.path.abspath(path), sql.replace("%s", "?"), params),
                                        name="side-read", daemon=True)
        self._thread.start()

    def _run(self, path, sql, params):
        try:
            with _side_lock:
                con = _side_connection(path)
                self._value = con.execute(sql, params).fetchone()
        except (OSError, sqlite3.Error):
            self._value = None

    def row(self):
        self._thread.join()
        return self._value
