"""``stockbook audit …`` exit codes and output, and the 审计日志 page: permission, filters, CSV/PDF export."""
import csv
import io
import json
from contextlib import redirect_stderr, redirect_stdout

import pytest
from django.contrib.auth.models import Permission, User

from stockbook.audit.models import AuditEntry
from stockbook.cli import main

from .conftest import guards_off, make, sql

pytestmark = pytest.mark.django_db


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def test_verify_ok_then_fails_naming_the_row():
    make(4)
    rc, out, _ = cli("audit", "verify")
    assert rc == 0 and out.startswith("OK: 4 entries verified")
    with guards_off():
        sql("UPDATE audit_auditentry SET remark = 'x' WHERE seq = 2")
        sql("DELETE FROM audit_auditentry WHERE seq = 4")
    rc, out, _ = cli("audit", "verify")
    assert rc == 1
    assert "seq 2 [edited]" in out and "seq 4 [deleted]" in out
    rc, out, _ = cli("audit", "verify", "--format", "json")
    data = json.loads(out)
    assert rc == 1 and data["ok"] is False and [(p["kind"], p["seq"]) for p in data["problems"]] == [("edited", 2), ("deleted", 4)]


def test_verify_anchor():
    make(3)
    h2 = AuditEntry.objects.get(seq=2).hash
    assert cli("audit", "verify", "--anchor", f"2:{h2}")[0] == 0
    rc, out, _ = cli("audit", "verify", "--anchor", f"2:{'0' * 64}")
    assert rc == 1 and "seq 2 [anchor]" in out


def test_search_formats_and_filters():
    make(3)
    User.objects.create_user("clerk", password="x")
    rc, out, _ = cli("audit", "search", "--object", "test.thing:2", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rc == 0 and [(r["seq"], r["after"]) for r in rows] == [(2, {"v": 3})]
    rc, out, _ = cli("audit", "search", "--action", "create", "--format", "csv")
    body = list(csv.reader(io.StringIO(out)))
    assert rc == 0 and len(body) == 2 and "clerk" in body[1]
    rc, out, _ = cli("audit", "search", "--from", "2000-01-01", "--to", "2000-01-31")
    assert rc == 0 and len(out.splitlines()) == 3  # title and header lines only


@pytest.mark.parametrize("argv, words", [
    (("audit", "search", "--from", "2026-02-30"), "not a date"),
    (("audit", "export", "--to", "yesterday", "-o", "x.csv"), "not a date"),
    (("audit", "archive", "--older-than-days", "-5"), "whole number of days"),
    (("audit", "verify", "--anchor", "12:abc"), "SEQ:HASH"),
])
def test_bad_input_is_a_clear_error_without_traceback(argv, words):
    rc, out, err = cli(*argv)
    assert rc == 2 and words in err and "Traceback" not in err + out


def test_purge_needs_yes():
    rc, _, err = cli("audit", "purge")
    assert rc == 2 and "--yes" in err


def test_archive_and_export_from_the_cli(archive_dir, tmp_path):
    make(3)
    rc, out, _ = cli("audit", "archive", "--older-than-days", "0")
    assert rc == 0 and "archived 3 entries (seq 1-3)" in out
    assert cli("audit", "verify")[0] == 0
    target = tmp_path / "log.csv"
    rc, out, _ = cli("audit", "export", "--format", "csv", "-o", str(target), "--object", "test.thing")
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rc == 0 and [r[0] for r in rows[1:]] == ["3", "2", "1"]  # found in the archive file
    assert AuditEntry.objects.filter(action="export").exists()


# -- web -------------------------------------------------------------------------------------------------------
def test_page_needs_the_permission(client):
    assert client.get("/audit/").status_code == 302  # anonymous: to the login page
    clerk = User.objects.create_user("clerk", password="x")
    client.force_login(clerk)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export/csv/").status_code == 403
    assert "/audit/" not in client.get("/").content.decode()  # no nav link either
    clerk.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    clerk = User.objects.get(pk=clerk.pk)
    client.force_login(clerk)
    r = client.get("/audit/")
    assert r.status_code == 200 and "审计日志" in r.content.decode()
    assert 'href="/audit/"' in client.get("/").content.decode()


@pytest.fixture
def boss(client):
    u = User.objects.create_superuser("boss", password="x")
    client.force_login(u)
    return u


def test_page_lists_and_filters(client, boss):
    make(3)
    html = client.get("/audit/").content.decode()
    assert "东西 3" in html and "东西 1" in html and "v: 3 → 4" in html
    html = client.get("/audit/", {"object": "test.thing:2"}).content.decode()
    assert "东西 2" in html and "东西 3" not in html
    assert 'href="/audit/export/csv/?object=test.thing%3A2"' in html  # the export keeps the filter
    html = client.get("/audit/", {"user": "boss", "action": "permission_change"}).content.decode()
    assert "东西" not in html
    r = client.get("/audit/", {"from": "2026-02-31"})
    assert r.status_code == 200 and "2026-02-31" in r.content.decode() and "东西 3" in r.content.decode()


def test_page_paginates(client, boss):
    make(60)
    html = client.get("/audit/").content.decode()
    assert "<td>东西 60 <" in html and "<td>东西 11 <" in html and "<td>东西 10 <" not in html and "?page=2" in html
    html = client.get("/audit/", {"page": 2}).content.decode()
    assert "<td>东西 10 <" in html and "<td>东西 1 <" in html and "<td>东西 11 <" not in html


def test_csv_export(client, boss):
    seqs = make(2)
    r = client.get("/audit/export/csv/", {"object": "test.thing"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    head = rows[0]
    assert head[0] == "序号"
    row = dict(zip(head, rows[1]))
    assert row["序号"] == str(seqs[1]) and row["对象"] == "东西 2" and json.loads(row["变更后"]) == {"v": 3} and row["备注"] == "r2"
    e = AuditEntry.objects.filter(action="export").get()
    assert e.username == "boss" and "test.thing" in e.remark


def test_pdf_export(client, boss):
    make(2)
    r = client.get("/audit/export/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert client.get("/audit/export/xlsx/").status_code == 404
