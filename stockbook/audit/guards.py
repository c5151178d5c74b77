"""Database triggers that make the audit tables append-only.

- ``audit_auditentry``: no UPDATE; DELETE only of rows an ``audit_auditarchive`` record covers (archiving).
- ``audit_chainhead``: UPDATE only one step forward (``seq = old seq + 1``); no DELETE.

They keep honest mistakes and application bugs out; a database owner can still disable them, which is what
the hash chain is for (``audit verify``). Django's own ``flush`` (tests, ``manage flush``) empties every
table: PostgreSQL's TRUNCATE fires no row triggers, and on SQLite the function ``sb_audit_may_delete()``,
registered on each Django connection, allows deletes while ``flush`` runs. A plain ``sqlite3`` shell has no
such function, so its DELETEs fail.

On SQLite, a migration that rebuilds an audit table (most ALTERs) drops its triggers: call ``install`` again
in that migration. ``audit verify`` reports missing or disabled triggers.
"""
import sys

TRIGGERS = ("audit_entry_no_update", "audit_entry_no_delete", "audit_head_forward_only", "audit_head_no_delete")

_PG = [
    """CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_auditarchive a WHERE OLD.seq BETWEEN a.first_seq AND a.last_seq) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit entries are append-only (% of seq %)', TG_OP, OLD.seq USING ERRCODE = '42501';
END $$""",
    """CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.seq = OLD.seq + 1 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the audit chain head only moves forward' USING ERRCODE = '42501';
END $$""",
    "DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_chainhead",
    "DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_chainhead",
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry FOR EACH ROW EXECUTE FUNCTION audit_entry_guard()",
    "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chainhead FOR EACH ROW EXECUTE FUNCTION audit_head_guard()",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead FOR EACH ROW EXECUTE FUNCTION audit_head_guard()",
]

_SQLITE = [
    *(f"DROP TRIGGER IF EXISTS {t}" for t in TRIGGERS),
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
WHEN NOT EXISTS (SELECT 1 FROM audit_auditarchive a WHERE OLD.seq BETWEEN a.first_seq AND a.last_seq)
 AND NOT sb_audit_may_delete()
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_chainhead WHEN NEW.seq <> OLD.seq + 1
BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead WHEN NOT sb_audit_may_delete()
BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END""",
]


def _conn(x):
    """A Django connection, given one or a schema editor."""
    return x.connection if hasattr(x, "deferred_sql") else x


def install(schema_editor_or_connection):
    conn = _conn(schema_editor_or_connection)
    stmts = _PG if conn.vendor == "postgresql" else _SQLITE if conn.vendor == "sqlite" else []
    with conn.cursor() as cur:
        for s in stmts:
            cur.execute(s)


def uninstall(schema_editor_or_connection):
    conn = _conn(schema_editor_or_connection)
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            for t, table in zip(TRIGGERS, ("audit_auditentry", "audit_auditentry", "audit_chainhead", "audit_chainhead")):
                cur.execute(f"DROP TRIGGER IF EXISTS {t} ON {table}")
            cur.execute("DROP FUNCTION IF EXISTS audit_entry_guard()")
            cur.execute("DROP FUNCTION IF EXISTS audit_head_guard()")
        elif conn.vendor == "sqlite":
            for t in TRIGGERS:
                cur.execute(f"DROP TRIGGER IF EXISTS {t}")


def missing(conn) -> list[str]:
    """Guard triggers that are absent or disabled."""
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled <> 'D'", [list(TRIGGERS)])
        elif conn.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN (%s)" % ",".join(["%s"] * len(TRIGGERS)),
                        list(TRIGGERS))
        else:
            return []
        present = {r[0] for r in cur.fetchall()}
    return [t for t in TRIGGERS if t not in present]


# -- the SQLite side: which deletes are allowed ------------------------------------------------------------
def _flush_running() -> bool:
    f = sys._getframe(1)
    while f is not None:
        code = f.f_code
        if code.co_name == "handle" and code.co_filename.replace("\\", "/").endswith("django/core/management/commands/flush.py"):
            return True
        f = f.f_back
    return False


def _may_delete() -> int:
    return 1 if _flush_running() else 0


def on_connection_created(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("sb_audit_may_delete", 0, _may_delete)
