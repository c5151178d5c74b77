"""Fixtures for the LDAP login tests: a real slapd per test session (per xdist worker), Django settings
pointing at it, and an admin connection for tests that add or change directory entries.

slapd comes from Debian's ``slapd`` package (``make sysdeps`` installs it). Without it these tests FAIL;
set STOCKBOOK_SKIP_LDAP=1 to skip them on a machine where it cannot be installed."""
import os
import socket
import threading
import time
import uuid

import pytest

from . import slapd as S

ROLE_MAP = {
    S.group_dn("finance"): "财务",
    S.group_dn("finance-chiefs"): "财务主管",
    "warehouse": "仓库",  # by group name (cn) instead of DN
    S.group_dn("auditors"): "审计",
    S.group_dn("sales"): "销售",
    S.group_dn("it-admins"): ["系统管理员", "管理层"],
}


@pytest.fixture(scope="session")
def slapd():
    if os.environ.get("STOCKBOOK_SKIP_LDAP") == "1":
        pytest.skip("STOCKBOOK_SKIP_LDAP=1: LDAP tests skipped")
    missing = S.missing_tools()
    if missing:
        pytest.fail("OpenLDAP is not installed (missing: " + ", ".join(missing) + "). Run `make sysdeps` "
                    "(Debian packages slapd, ldap-utils, openssl), or set STOCKBOOK_SKIP_LDAP=1 to skip the LDAP tests.",
                    pytrace=False)
    server = S.Slapd()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


def ldap_env(uri: str, **extra) -> dict:
    """The environment an operator would set for the test directory (see docs/ldap.md)."""
    import json

    env = {
        "STOCKBOOK_LDAP_URI": uri,
        "STOCKBOOK_LDAP_BIND_DN": S.SERVICE_DN,
        "STOCKBOOK_LDAP_BIND_PASSWORD": S.SERVICE_PW,
        "STOCKBOOK_LDAP_USER_BASE": S.PEOPLE,
        "STOCKBOOK_LDAP_GROUP_BASE": S.GROUPS,
        "STOCKBOOK_LDAP_REQUIRE_GROUP": S.group_dn("stockbook-users"),
        "STOCKBOOK_LDAP_DENY_GROUP": S.group_dn("disabled"),
        "STOCKBOOK_LDAP_STAFF_GROUP": S.group_dn("it-admins"),
        "STOCKBOOK_LDAP_SUPERUSER_GROUP": S.group_dn("it-admins"),
        "STOCKBOOK_LDAP_GROUP_ROLES": json.dumps(ROLE_MAP, ensure_ascii=False),
        "STOCKBOOK_LDAP_TIMEOUT": "3",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """MD5 hashes: an unknown username costs ModelBackend one hash of the default hasher (argon2, ~0.3 s)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def use_ldap(settings, db):
    """use_ldap(uri=..., **env) → switch LDAP login on for this test with the settings that env produces
    (pytest-django's ``settings`` fixture restores everything afterwards)."""
    from stockbook.users.ldap_settings import ldap_settings

    base_backends = [b for b in settings.AUTHENTICATION_BACKENDS if "ldap" not in b.lower()]

    def _use(uri, **extra):
        for name, value in ldap_settings(ldap_env(uri, **extra), base_backends).items():
            setattr(settings, name, value)
        return settings

    return _use


@pytest.fixture
def ldap_on(slapd, use_ldap, db):
    return use_ldap(slapd.uri)


@pytest.fixture
def local_user(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("clerk", password="s3cret-pass!", first_name="本地")


class DirectoryAdmin:
    """Adds and changes entries as the rootdn; everything added is removed at the end of the test."""

    def __init__(self, uri):
        import ldap

        self.ldap = ldap
        self.conn = ldap.initialize(uri, bytes_mode=False)
        self.conn.simple_bind_s(S.ROOT_DN, S.ROOT_PW)
        self.added: list[str] = []
        self.memberships: list[tuple[str, str]] = []

    def add_person(self, groups=("stockbook-users",), password="Temp-Pass-9", **attrs) -> S.Person:
        uid = "u" + uuid.uuid4().hex[:10]
        p = S.Person(uid, password, attrs.get("cn", "临时用户"), attrs.get("sn", "临"), attrs.get("given", "时"),
                     attrs.get("mail", f"{uid}@stockbook.test"), list(groups))
        self.conn.add_s(p.dn, [(a, [v.encode()]) for a, v in S.person_attrs(p)])
        self.added.append(p.dn)
        for g in groups:
            self.join(p, g)
        return p

    def join(self, p: S.Person, group: str):
        self.conn.modify_s(S.group_dn(group), [(self.ldap.MOD_ADD, "member", [p.dn.encode()])])
        self.memberships.append((p.dn, group))

    def leave(self, p: S.Person, group: str):
        self.conn.modify_s(S.group_dn(group), [(self.ldap.MOD_DELETE, "member", [p.dn.encode()])])
        self.memberships.remove((p.dn, group))

    def replace(self, p: S.Person, attr: str, value: str | None):
        self.conn.modify_s(p.dn, [(self.ldap.MOD_REPLACE, attr, [value.encode()] if value is not None else None)])

    def close(self):
        for dn, g in self.memberships:
            try:
                self.conn.modify_s(S.group_dn(g), [(self.ldap.MOD_DELETE, "member", [dn.encode()])])
            except self.ldap.LDAPError:
                pass
        for dn in self.added:
            self.conn.delete_s(dn)
        self.conn.unbind_s()


@pytest.fixture
def directory(slapd):
    admin = DirectoryAdmin(slapd.uri)
    yield admin
    admin.close()


@pytest.fixture
def dead_uri():
    """An ldap:// URI where nothing listens (connection refused)."""
    return f"ldap://127.0.0.1:{S.free_port()}/"


@pytest.fixture
def silent_uri():
    """An ldap:// URI that accepts TCP connections and never answers (a hung server or a black hole)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    conns = []
    stop = threading.Event()

    def accept():
        # Connections are dropped after 10 s, so a missing client timeout fails the test instead of hanging it.
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append((time.monotonic(), sock.accept()[0]))
            except OSError:
                pass
            for since, c in conns:
                if time.monotonic() - since > 10:
                    c.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"ldap://127.0.0.1:{sock.getsockname()[1]}/"
    stop.set()
    t.join(2)
    for _, c in conns:
        c.close()
    sock.close()


@pytest.fixture
def ldap_calls(monkeypatch):
    """Counts connections Stockbook opens to any LDAP server."""
    import ldap

    calls = []
    real = ldap.initialize

    def spy(uri, *a, **kw):
        calls.append(uri)
        return real(uri, *a, **kw)

    monkeypatch.setattr(ldap, "initialize", spy)
    return calls
