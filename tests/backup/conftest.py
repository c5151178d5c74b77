"""Fixtures for backup tests: the test database with a real book posted through the importer, on SQLite
and PostgreSQL alike."""
import io
import os

import pytest

from tests.conftest import SHARED

SCENARIO = SHARED / "scenarios" / "basic-fifo.jsonl"


def _is_sqlite() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


# SQLite's test database lives in memory, and its backup API cannot read it while the test's own
# transaction is open: there the tests commit (transactional tests, cheap in memory). pg_dump reads past
# an open transaction, so on PostgreSQL the rolled-back test is enough and the book is committed once
# per module. Test modules use ``pytestmark = DB``.
TRANSACTIONAL = _is_sqlite()
DB = pytest.mark.django_db(transaction=TRANSACTIONAL)


def _post_book():
    from stockbook.interchange.importer import import_file
    from stockbook.posting.models import Document

    import_file(str(SCENARIO), out=io.StringIO(), err=io.StringIO())
    assert Document.objects.filter(type="period_close").count() == 2


@pytest.fixture(scope="module")
def committed_book(django_db_setup, django_db_blocker):
    """PostgreSQL: the book posted and committed once per module, before any test's transaction; the
    module's end empties the database again. SQLite: nothing (each test posts it, see ``booked``)."""
    if TRANSACTIONAL:
        yield
        return
    from django.core.management import call_command

    with django_db_blocker.unblock():
        _post_book()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def sd():
    from django.db import connection

    return connection.settings_dict


@pytest.fixture
def kind(sd):
    from stockbook.backup.engines import kind_of

    return kind_of(sd)


@pytest.fixture
def booked(committed_book, sd):
    """basic-fifo (opening balances, receipts, deliveries, invoices, returns, counts, two closes),
    committed; → the test database's settings."""
    if TRANSACTIONAL:
        _post_book()
    return sd


@pytest.fixture
def pg_scratch(sd, kind):
    """Name of a throwaway PostgreSQL database on the test server (dropped afterwards)."""
    from stockbook.backup.engines import pg_drop_database

    name = f"sb_bk_target_{os.getpid()}"
    yield name
    if kind == "postgresql":
        pg_drop_database(sd, name)
