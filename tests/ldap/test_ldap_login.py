"""LDAP login through the real login form (/login/) against the session's slapd (conftest.py)."""
import time

import pytest
from django.contrib.auth.models import Group, User

from . import slapd as S

ERROR = "请输入一个正确的"  # Django's zh-hans "wrong username or password" message
ALICE = next(p for p in S.PEOPLE_DATA if p.uid == "alice")
BOB = next(p for p in S.PEOPLE_DATA if p.uid == "bob")


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def logged_in(r) -> bool:
    return r.status_code == 302 and r["Location"] == "/"


def roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def failures(username) -> int:
    from axes.models import AccessAttempt

    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def test_ldap_user_logs_in_and_gets_name_email_and_roles(client, ldap_on):
    assert not User.objects.filter(username="alice").exists()
    r = login(client, "alice", ALICE.password)
    assert logged_in(r)
    assert client.get("/").status_code == 200  # the session works with the LDAP backend
    u = User.objects.get(username="alice")
    assert (u.last_name, u.first_name, u.email) == ("陈", "静", "alice@stockbook.test")
    assert not u.has_usable_password()  # the password lives in the directory only
    assert not u.is_staff and not u.is_superuser
    assert roles(u) == {"财务", "财务主管"}
    assert client.session["_auth_user_backend"] == "stockbook.users.ldap.LDAPBackend"


def test_group_mapping_by_name_and_to_several_roles_and_flags(client, ldap_on):
    assert logged_in(login(client, "bob", BOB.password))
    assert roles(User.objects.get(username="bob")) == {"仓库"}  # mapped by the group's cn "warehouse"
    client.logout()
    frank = next(p for p in S.PEOPLE_DATA if p.uid == "frank")
    assert logged_in(login(client, "frank", frank.password))
    u = User.objects.get(username="frank")
    assert roles(u) == {"系统管理员", "管理层"}
    assert u.is_staff and u.is_superuser  # STOCKBOOK_LDAP_STAFF_GROUP / _SUPERUSER_GROUP


def test_existing_role_groups_keep_their_permissions(client, ldap_on):
    from django.contrib.auth.models import Permission

    finance, _ = Group.objects.get_or_create(name="财务")  # the roles may already exist, with permissions
    finance.permissions.add(Permission.objects.get(codename="view_user"))
    assert logged_in(login(client, "alice", ALICE.password))
    u = User.objects.get(username="alice")
    assert u.groups.filter(pk=finance.pk).exists() and Group.objects.filter(name="财务").count() == 1
    assert u.has_perm("auth.view_user")  # ModelBackend still grants the role's permissions
    assert not u.has_perm("auth.delete_user")


def test_directory_changes_follow_at_next_login(client, ldap_on, directory):
    p = directory.add_person(groups=("stockbook-users", "finance", "sales"), cn="钱多多", sn="钱", given="多多")
    assert logged_in(login(client, p.uid, p.password))
    u = User.objects.get(username=p.uid)
    assert roles(u) == {"财务", "销售"} and u.first_name == "多多"
    u.groups.add(Group.objects.get_or_create(name="出纳")[0])  # given in Stockbook, not managed by LDAP
    client.logout()

    directory.leave(p, "finance")
    directory.join(p, "auditors")
    directory.replace(p, "mail", "new@stockbook.test")
    directory.replace(p, "givenName", "少少")
    assert logged_in(login(client, p.uid, p.password))
    u.refresh_from_db()
    assert roles(u) == {"销售", "审计", "出纳"}
    assert (u.first_name, u.email) == ("少少", "new@stockbook.test")


def test_username_is_case_insensitive_and_one_django_user(client, ldap_on):
    assert logged_in(login(client, "ALICE", ALICE.password))
    client.logout()
    assert logged_in(login(client, "alice", ALICE.password))
    assert list(User.objects.filter(username__iexact="alice").values_list("username", flat=True)) == ["alice"]


def test_wrong_password_is_rejected_and_counted_by_axes(client, ldap_on):
    r = login(client, "alice", "not-her-password")
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert "_auth_user_id" not in client.session
    assert failures("alice") == 1
    assert not User.objects.filter(username="alice").exists()


def test_axes_locks_out_ldap_users_before_the_directory_is_asked(client, ldap_on, settings, ldap_calls):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "bob", "wrong")
    assert failures("bob") == settings.AXES_FAILURE_LIMIT
    asked = len(ldap_calls)
    assert asked >= settings.AXES_FAILURE_LIMIT
    r = login(client, "bob", BOB.password)
    assert r.status_code == 429 and "账户已锁定" in r.content.decode()
    assert len(ldap_calls) == asked  # the axes backend comes first
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("uid", ["carol", "dave"])
def test_not_in_allowed_group_or_in_disabled_group_is_rejected(client, ldap_on, uid):
    # carol: valid password, not in cn=stockbook-users (REQUIRE_GROUP); dave: in cn=disabled (DENY_GROUP)
    person = next(p for p in S.PEOPLE_DATA if p.uid == uid)
    r = login(client, uid, person.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert not User.objects.filter(username=uid).exists()
    assert failures(uid) == 1


def test_account_locked_in_the_directory_is_rejected(client, ldap_on, directory):
    erin = next(p for p in S.PEOPLE_DATA if p.uid == "erin")  # pwdAccountLockedTime set (ppolicy)
    assert ERROR in login(client, "erin", erin.password).content.decode()
    p = directory.add_person()
    assert logged_in(login(client, p.uid, p.password))
    client.logout()
    directory.replace(p, "pwdAccountLockedTime", "000001010000Z")  # an administrator disables the account
    assert ERROR in login(client, p.uid, p.password).content.decode()
    directory.replace(p, "pwdAccountLockedTime", None)
    assert logged_in(login(client, p.uid, p.password))


def test_removed_from_allowed_group_cannot_log_in_any_more(client, ldap_on, directory):
    p = directory.add_person(groups=("stockbook-users", "warehouse"))
    assert logged_in(login(client, p.uid, p.password))
    client.logout()
    directory.leave(p, "stockbook-users")
    assert ERROR in login(client, p.uid, p.password).content.decode()


def test_user_disabled_in_stockbook_stays_out(client, ldap_on):
    assert logged_in(login(client, "alice", ALICE.password))
    client.logout()
    User.objects.filter(username="alice").update(is_active=False)
    r = login(client, "alice", ALICE.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert failures("alice") == 1
    assert not User.objects.get(username="alice").is_active  # the directory does not re-enable it


@pytest.mark.parametrize("username", ["*", "alice)(uid=*", "*)(|(uid=*", "alice*", "ali*"])
def test_filter_injection_is_not_a_login(client, ldap_on, username):
    r = login(client, username, ALICE.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert not User.objects.filter(email__endswith="@stockbook.test").exists()


def test_empty_password_never_binds(ldap_on, rf):
    # An LDAP simple bind with an empty password is an anonymous bind that "succeeds".
    from django.contrib.auth import authenticate

    assert authenticate(rf.post("/login/"), username="alice", password="") is None


def test_local_users_still_log_in_with_ldap_on(client, ldap_on, local_user):
    assert logged_in(login(client, "clerk", "s3cret-pass!"))
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
    client.logout()
    assert ERROR in login(client, "clerk", "wrong").content.decode()


def test_local_account_of_the_same_name_is_not_taken_over(client, ldap_on, use_ldap, slapd):
    User.objects.create_user("alice", password="local-Pass-1", email="alice@local")
    assert ERROR in login(client, "alice", ALICE.password).content.decode()
    assert logged_in(login(client, "alice", "local-Pass-1"))
    client.logout()
    u = User.objects.get(username="alice")
    assert u.email == "alice@local" and roles(u) == set()

    use_ldap(slapd.uri, STOCKBOOK_LDAP_TAKE_OVER_LOCAL=1)
    assert logged_in(login(client, "alice", ALICE.password))
    u.refresh_from_db()
    assert u.email == "alice@stockbook.test" and roles(u) == {"财务", "财务主管"}


def test_ldap_off_by_default_local_login_works_and_the_directory_is_not_asked(client, slapd, local_user, settings,
                                                                                ldap_calls):
    assert not settings.STOCKBOOK_LDAP_ENABLED
    assert not any("ldap" in b.lower() for b in settings.AUTHENTICATION_BACKENDS)
    # even with a server configured, only STOCKBOOK_LDAP_URI (through the backend list) switches LDAP on
    settings.AUTH_LDAP_SERVER_URI = slapd.uri
    assert ERROR in login(client, "alice", ALICE.password).content.decode()
    assert logged_in(login(client, "clerk", "s3cret-pass!"))
    assert ldap_calls == []
    assert not User.objects.filter(username="alice").exists()


def test_settings_apply_per_login(client, ldap_on, use_ldap, dead_uri, slapd):
    """django-auth-ldap reads AUTH_LDAP_* at each login: changing them takes effect without a restart."""
    assert logged_in(login(client, "alice", ALICE.password))
    client.logout()
    use_ldap(dead_uri)
    assert ERROR in login(client, "alice", ALICE.password).content.decode()
    use_ldap(slapd.uri, STOCKBOOK_LDAP_BIND_PASSWORD="wrong-service-password")
    assert ERROR in login(client, "alice", ALICE.password).content.decode()
    use_ldap(slapd.uri)
    assert logged_in(login(client, "alice", ALICE.password))


def test_server_down_local_users_log_in_ldap_users_get_the_usual_error(client, use_ldap, dead_uri, local_user,
                                                                        ldap_calls, caplog):
    use_ldap(dead_uri)
    r = login(client, "alice", ALICE.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert ldap_calls == [dead_uri]
    assert any("LDAPError" in rec.getMessage() and "SERVER_DOWN" in rec.getMessage() for rec in caplog.records)
    assert failures("alice") == 1
    assert logged_in(login(client, "clerk", "s3cret-pass!"))


def test_a_hung_server_times_out(client, use_ldap, silent_uri, local_user):
    use_ldap(silent_uri, STOCKBOOK_LDAP_TIMEOUT="0.5")
    t = time.monotonic()
    r = login(client, "alice", ALICE.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert time.monotonic() - t < 5
    t = time.monotonic()
    assert logged_in(login(client, "clerk", "s3cret-pass!"))  # asks LDAP first, waits for the timeout
    assert time.monotonic() - t < 5


def test_logged_in_sessions_survive_the_server_going_down(client, ldap_on, use_ldap, dead_uri, ldap_calls):
    assert logged_in(login(client, "alice", ALICE.password))
    use_ldap(dead_uri)
    n = len(ldap_calls)
    assert client.get("/").status_code == 200
    assert len(ldap_calls) == n  # a request with a session does not ask the directory


def test_groups_that_cannot_be_read_refuse_the_login(client, use_ldap, slapd, caplog):
    """Roles must not be guessed: if the group search fails, the LDAP login fails (and says why in the log)."""
    use_ldap(slapd.uri, STOCKBOOK_LDAP_GROUP_BASE=f"ou=missing,{S.SUFFIX}")
    r = login(client, "alice", ALICE.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert any("reading its groups failed" in rec.getMessage() and "NO_SUCH_OBJECT" in rec.getMessage()
               for rec in caplog.records)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("how", ["ldaps", "starttls"])
def test_tls_with_the_company_ca(client, use_ldap, slapd, how):
    if how == "ldaps":
        use_ldap(slapd.ldaps_uri, STOCKBOOK_LDAP_CA_FILE=slapd.ca_file)
    else:
        use_ldap(slapd.uri, STOCKBOOK_LDAP_CA_FILE=slapd.ca_file, STOCKBOOK_LDAP_START_TLS=1)
    assert logged_in(login(client, "alice", ALICE.password))


@pytest.mark.parametrize("how", ["ldaps", "starttls"])
def test_tls_certificate_not_signed_by_the_ca_is_refused(client, use_ldap, slapd, how, tmp_path, caplog):
    import subprocess

    subprocess.run([S.OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", tmp_path / "other.key", "-out", tmp_path / "other.crt"], check=True, capture_output=True)
    if how == "ldaps":
        use_ldap(slapd.ldaps_uri, STOCKBOOK_LDAP_CA_FILE=tmp_path / "other.crt")
    else:
        use_ldap(slapd.uri, STOCKBOOK_LDAP_CA_FILE=tmp_path / "other.crt", STOCKBOOK_LDAP_START_TLS=1)
    r = login(client, "alice", ALICE.password)
    assert r.status_code == 200 and ERROR in r.content.decode()
    assert any("LDAPError" in rec.getMessage() for rec in caplog.records)


def test_several_uris_are_tried_in_order(client, use_ldap, dead_uri, slapd):
    use_ldap(f"{dead_uri} {slapd.uri}")
    assert logged_in(login(client, "alice", ALICE.password))
