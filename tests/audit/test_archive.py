"""Cold archive: old entries move to gzip'd JSONL files with a manifest; the chain still verifies across them,
search still finds them, and tampering with a file, the manifest or an archive record is detected."""
import datetime as dt
import gzip
import hashlib
import json

import pytest
from django.utils import timezone

from stockbook.audit.archive import archive, purge, read_manifest
from stockbook.audit.models import AuditArchive, AuditEntry
from stockbook.audit.search import Filters, Results
from stockbook.audit.verify import verify

from .conftest import clock, guards_off, make, problems, sql

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def archived(archive_dir):
    """Entries 1–5 written 400 days ago, 6–7 now; then everything older than 365 days archived."""
    with clock(NOW - dt.timedelta(days=400)):
        make(5)
    make(2, start=6)
    made = archive(365, batch=3)
    return made


def test_archive_moves_old_entries_to_files_with_a_manifest(archived, archive_dir):
    assert [(a.first_seq, a.last_seq, a.count) for a in archived] == [(1, 3, 3), (4, 5, 2)]
    assert sorted(AuditEntry.objects.values_list("seq", flat=True)) == [6, 7, 8, 9]  # 8, 9: the two "archive" entries
    assert list(AuditEntry.objects.filter(seq__gte=8).values_list("action", flat=True)) == ["archive", "archive"]
    man = read_manifest(archive_dir)
    assert [f["file"] for f in man["files"]] == ["audit-000000000001-000000000003.jsonl.gz", "audit-000000000004-000000000005.jsonl.gz"]
    for f in man["files"]:
        assert hashlib.sha256((archive_dir / f["file"]).read_bytes()).hexdigest() == f["sha256"]
    first, second = man["files"]
    assert second["first_prev_hash"] == first["last_hash"]
    assert AuditEntry.objects.get(seq=6).prev_hash == second["last_hash"]
    with gzip.open(archive_dir / first["file"], "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [r["seq"] for r in rows] == [1, 2, 3] and rows[1]["after"] == '{"v": 3}'


def test_archive_then_verify_covers_both_parts(archived):
    res = verify()
    assert res.ok, res.problems
    assert (res.entries, res.archived, res.files) == (9, 5, 2)
    assert archive(365) == []  # nothing more is old enough


def test_search_finds_archived_entries(archived):
    hits = list(Results(Filters(object="test.thing:2", archived=True)))
    assert [(e.seq, getattr(e, "archived", False)) for e in hits] == [(2, True)]
    assert list(Results(Filters(object="test.thing:2"))) == []  # the database alone no longer has it
    res = Results(Filters(action="update", archived=True))
    assert res.count() == 7 and [e.seq for e in res[4:7]] == [3, 2, 1]  # newest first, across both parts
    old = Results(Filters(archived=True, end=NOW - dt.timedelta(days=300)))
    assert [e.seq for e in old] == [5, 4, 3, 2, 1]


def test_archived_entries_are_not_deleted_unless_covered(archived):
    """The trigger lets the archiver delete only entries an archive record covers."""
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=6).delete()


def _rewrite(path, change):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    change(rows)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def test_edited_archive_file_is_detected_and_the_row_named(archived, archive_dir):
    def edit(rows):
        rows[1]["remark"] = "nothing to see"

    _rewrite(archive_dir / archived[0].file, edit)
    res = verify()
    assert ("archive", 1) in problems(res) and ("edited", 2) in problems(res)
    assert len(res.problems) == 2


def test_deleted_row_in_an_archive_file_is_named(archived, archive_dir):
    _rewrite(archive_dir / archived[1].file, lambda rows: rows.pop(0))
    res = verify()
    assert ("deleted", 4) in problems(res)


def test_missing_archive_file_is_named_and_the_rest_still_verifies(archived, archive_dir):
    (archive_dir / archived[0].file).unlink()
    res = verify()
    assert [(p.kind, p.seq, p.seq_to) for p in res.problems] == [("archive", 1, 3)]


def test_deleted_archive_record_is_detected(archived, archive_dir):
    AuditArchive.objects.filter(pk=archived[1].pk).delete()
    res = verify()
    kinds = problems(res)
    assert ("archive", 4) in kinds  # the manifest lists a file the database no longer knows
    assert ("deleted", 4) in kinds  # and the chain misses its entries


def test_altered_archive_record_is_detected(archived):
    AuditArchive.objects.filter(pk=archived[0].pk).update(last_seq=2)
    assert ("archive", 1) in problems(verify())


def test_tampered_database_part_after_an_archive_is_still_named(archived):
    with guards_off():
        sql("UPDATE audit_auditentry SET remark = 'x' WHERE seq = 7")
    assert problems(verify()) == [("edited", 7)]


def test_purge_only_after_seven_years_keeps_the_chain(archive_dir):
    with clock(NOW - dt.timedelta(days=8 * 365)):
        make(3)
    with clock(NOW - dt.timedelta(days=3 * 365)):
        make(2, start=4)
    make(1, start=6)
    archive(365, batch=3)
    done = purge()
    assert [a.file for a in done] == ["audit-000000000001-000000000003.jsonl.gz"]  # 3 years old: kept
    assert not (archive_dir / done[0].file).exists()
    assert (archive_dir / "audit-000000000004-000000000005.jsonl.gz").exists()
    assert AuditArchive.objects.get(pk=done[0].pk).purged_at is not None
    assert read_manifest(archive_dir)["files"][0]["purged_at"] is not None
    res = verify()
    assert res.ok, res.problems
    assert (res.purged_files, res.archived) == (1, 2)
    assert [e.seq for e in Results(Filters(action="update", archived=True))] == [6, 5, 4]
    assert AuditEntry.objects.filter(action="purge").count() == 1
    assert purge() == []
