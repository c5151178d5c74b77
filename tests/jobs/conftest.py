import pytest


@pytest.fixture(autouse=True)
def queue(monkeypatch):
    """The shared huey instance, put back as it was after each test (tests point it at other storage)."""
    from stockbook.jobs import queue as q

    monkeypatch.setenv("STOCKBOOK_HUEY_URL", "memory://")
    saved = (q.huey.storage_class, q.huey.storage_kwargs, q.huey.storage, q.huey.url, q.huey.immediate)
    yield q.huey
    q.huey.immediate = saved[4]
    q.huey.storage_class, q.huey.storage_kwargs, q.huey.storage, q.huey.url = saved[:4]
