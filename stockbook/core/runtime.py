"""Settling a process once it has started.

CPython's cyclic garbage collector now and then walks every tracked object of the process (a full
collection); right after Django has loaded its apps, models, URL patterns and migrations that is several
hundred thousand objects, and on a busy 2-core machine one walk paused a posting for 100–200 ms: the
slowest 1 % of documents with 8 PostgreSQL posters were exactly these pauses (docs/benchmarks.md).
``settle()`` collects once and then freezes what is left (``gc.freeze``): those start-up objects live as
long as the process anyway, and later collections skip them.
"""
import gc


def settle():
    """Call once a process has set Django up (CLI, WSGI)."""
    gc.collect()
    gc.freeze()
