"""Writing many rows with one statement: ``INSERT … VALUES (…), (…), …``.

``cursor.executemany`` runs its statement once per row; on PostgreSQL each run is parsed and planned again
by the server (Django binds parameters on the client), so a 10-line document's ~6 multi-row writes cost
~60 statement executions. One multi-row statement per chunk is parsed once. The chunk keeps the number of
parameters under SQLite's limit (32,766) and PostgreSQL's (65,535).
"""
MAX_PARAMS = 30000
MAX_ROWS = 500


def insert_rows(cur, head: str, rows: list, tail: str = ""):
    """Run ``{head} VALUES (…), (…) {tail}`` for ``rows`` (tuples of equal width) in as few statements as
    the parameter limits allow. ``head``: ``INSERT INTO t (a, b)``; ``tail``: e.g. an ``ON CONFLICT``
    clause (an upsert's rows must have distinct keys: PostgreSQL refuses to update one row twice)."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ", ".join(["%s"] * width) + ")"
    step = max(1, min(MAX_ROWS, MAX_PARAMS // width))
    for i in range(0, len(rows), step):
        part = rows[i:i + step]
        cur.execute(f"{head} VALUES {', '.join([one] * len(part))} {tail}".rstrip(), [x for r in part for x in r])
