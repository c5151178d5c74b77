"""Settling a process once it has started.

CPython's cyclic garbage collector now and then walks every tracked object of the process (a full
collection); right after Django has loaded its apps, models, URL patterns and migrations that is several
hundred thousand objects, and on a busy 2-core machine one walk paused a posting for 100–200 ms: the
slowest 1 % of documents with 8 PostgreSQL posters were exactly these pauses (docs/benchmarks.md).
``settle()`` collects once and then freezes what is left (``gc.freeze``): those start-up objects live as
long as the process anyway, and later collections skip them.
"""
import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """No automatic cyclic collection inside the block. A re-costing replay and its corrections allocate
    millions of short-lived objects (events, results, entries, voucher lines) and no cycles: reference
    counting frees them, while the collector's full collections walked every one of them several times
    (≈ 0.5 s of a 补单 before 100,000 moves, docs/benchmarks.md). Nested blocks are fine."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def settle():
    """Call once a process has set Django up (CLI, WSGI)."""
    gc.collect()
    gc.freeze()
