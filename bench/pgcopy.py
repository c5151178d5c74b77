"""A cached SQLite benchmark database copied into a migrated PostgreSQL database, table by table with COPY.

The bulk history generator (stockgen.BulkWriter) writes SQLite only; this gives the same books to
PostgreSQL (the backdate benchmark runs on both). Both databases carry the same migrations, so the tables and
columns are the same; SQLite's 0/1 become booleans, and each table's id sequence continues after its rows.
"""
import sqlite3
import time

from .common import log


def copy_into(sqlite_path: str, pg_url: str) -> dict:
    import psycopg

    src = sqlite3.connect(sqlite_path)
    rows_by_table, t0 = {}, time.perf_counter()
    with psycopg.connect(pg_url) as pg:
        pg.execute("SET session_replication_role = replica")  # no triggers, no foreign-key checks while copying
        pg_tables = {r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                            "ORDER BY name") if r[0] in pg_tables and r[0] != "django_migrations"]
        pg.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")  # what migrate seeded
        for t in tables:
            types = dict(pg.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s", [t]).fetchall())
            cols = [r[1] for r in src.execute(f'PRAGMA table_info("{t}")') if r[1] in types]
            flags = [i for i, c in enumerate(cols) if types[c] == "boolean"]
            names = ", ".join(f'"{c}"' for c in cols)
            n = 0
            with pg.cursor().copy(f'COPY "{t}" ({names}) FROM STDIN') as cp:
                for row in src.execute(f'SELECT {names} FROM "{t}"'):
                    if flags:
                        row = list(row)
                        for i in flags:
                            if row[i] is not None:
                                row[i] = bool(row[i])
                    cp.write_row(row)
                    n += 1
            rows_by_table[t] = n
            if "id" in cols and n:
                pg.execute(f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), (SELECT max(id) FROM \"{t}\"))")
        pg.commit()
        pg.autocommit = True
        pg.execute("ANALYZE")
    src.close()
    secs = time.perf_counter() - t0
    log(f"  copied {sum(rows_by_table.values()):,} rows into PostgreSQL in {secs:.0f} s")
    return {"rows": sum(rows_by_table.values()), "copy_seconds": secs}
