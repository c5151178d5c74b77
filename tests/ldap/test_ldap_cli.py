"""``stockbook ldap check``: what a login would do, without writing anything."""
import io

import pytest
from django.contrib.auth.models import User

from . import slapd as S


def check(username, password=None):
    from stockbook.users.ldap_cli import check as _check

    out = io.StringIO()
    status = _check(username, password, out=out)
    return status, out.getvalue()


def test_a_user_who_would_be_let_in(ldap_on):
    status, out = check("alice", "alice-Pass-1")
    assert status == 0, out
    assert "uid=alice,ou=people,dc=stockbook,dc=test" in out
    assert "last_name   ← sn: 陈" in out and "email       ← mail: alice@stockbook.test" in out
    assert "roles:    财务, 财务主管" in out and "password: accepted" in out
    assert "OK:       would be let in" in out
    assert not User.objects.filter(username="alice").exists()  # read-only


@pytest.mark.parametrize("username, password, reason", [
    ("carol", "carol-Pass-3", "not in the allowed group"),
    ("dave", "dave-Pass-4", "in the disabled group"),
    ("erin", "erin-Pass-5", "password rejected"),  # locked by ppolicy
    ("alice", "wrong", "password rejected"),
    ("alice", "", "empty password"),
])
def test_reasons_for_refusal(ldap_on, username, password, reason):
    status, out = check(username, password)
    assert status == 1 and f"REFUSED:  {reason}" in out, out


def test_unknown_user_inactive_user_and_local_account(ldap_on, local_user):
    status, out = check("nobody")
    assert status == 1 and "no entry matches (uid=nobody)" in out
    User.objects.create_user("alice", password="local-Pass-1")
    status, out = check("alice")
    assert status == 1 and "a local account of that name exists" in out
    User.objects.filter(username="alice").update(is_active=False, password="!")
    status, out = check("alice")
    assert status == 1 and "inactive in Stockbook" in out and "local account" not in out.split("stockbook:")[1]


def test_off_unreachable_and_wrong_bind_password(db, use_ldap, dead_uri, slapd):
    status, out = check("alice")
    assert status == 2, out
    use_ldap(dead_uri)
    status, out = check("alice")
    assert status == 2 and "SERVER_DOWN" in out
    use_ldap(slapd.uri, STOCKBOOK_LDAP_BIND_PASSWORD="wrong")
    status, out = check("alice")
    assert status == 2 and "INVALID_CREDENTIALS" in out


def test_through_the_stockbook_command(ldap_on, monkeypatch, capsys):
    from stockbook import cli

    assert "stockbook.users.ldap_cli" in cli.CLI_PLUGINS
    monkeypatch.setattr("sys.stdin", io.StringIO("bob-Pass-2\n"))
    assert cli.main(["ldap", "check", "bob", "--password"]) == 0
    out = capsys.readouterr().out
    assert "roles:    仓库" in out and "password: accepted" in out
