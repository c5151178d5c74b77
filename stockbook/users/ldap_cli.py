"""``stockbook ldap check USERNAME [--password]``: what the LDAP login would do for one user, read-only.

Shows the directory entry found for the username, the fields and roles it maps to, and whether the
allowed/disabled groups let it in; with --password (asked on the terminal, or read from stdin) it also checks
the password by a bind. Nothing is written to the database. For the operator who is told "I can't log in":
the login page only ever says "wrong username or password".

Exit status: 0 the user would be let in; 1 it would not (the reason is printed); 2 LDAP is off or the
directory cannot be reached.
"""
import getpass
import sys


def register(sub):
    p = sub.add_parser("ldap", help="LDAP login: `ldap check USERNAME` shows what a login would do")
    lsub = p.add_subparsers(dest="ldap_cmd", required=True)
    q = lsub.add_parser("check", help="look a user up in the directory and show the fields and roles it maps to")
    q.add_argument("username")
    q.add_argument("--password", action="store_true", help="also check the password (asked, or read from stdin)")
    q.set_defaults(run=run_check)


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("LDAP password: ")
    return sys.stdin.readline().rstrip("\r\n")


def check(username: str, password: str | None = None, out=None) -> int:
    import ldap
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django_auth_ldap.backend import _LDAPUser
    from django_auth_ldap.config import LDAPGroupQuery

    from stockbook.users.ldap import LDAPBackend, mapped_roles
    from stockbook.users.ldap_settings import BACKEND

    out = out or sys.stdout

    def say(*a):
        print(*a, file=out)

    if not getattr(settings, "STOCKBOOK_LDAP_ENABLED", False) or BACKEND not in settings.AUTHENTICATION_BACKENDS:
        say("LDAP login is off (set STOCKBOOK_LDAP_URI, see docs/ldap.md)")
        return 2
    backend = LDAPBackend()
    s = backend.settings
    say(f"server:   {s.SERVER_URI}" + ("  (StartTLS)" if s.START_TLS else ""))
    say(f"bind as:  {s.BIND_DN or '(anonymous)'}")
    lu = _LDAPUser(backend, username=username.strip())
    problems = []
    try:
        lu.connection  # binds as the service account: an unreachable server or a wrong bind password shows here
        dn = lu.dn
        if dn is None:
            say(f"user:     no entry matches {s.USER_SEARCH.filterstr % {'user': username}} under {s.USER_SEARCH.base_dn}")
            return 1
        say(f"user:     {dn}")
        attrs = lu.attrs or {}
        for field, attr in s.USER_ATTR_MAP.items():
            say(f"  {field:<11} ← {attr}: {(attrs.get(attr) or ['(missing)'])[0]}")
        if s.GROUP_SEARCH is not None:
            say("groups:   " + (", ".join(sorted(lu.group_dns)) or "(none)"))
        roles = getattr(settings, "STOCKBOOK_LDAP_GROUP_ROLES", None) or {}
        if roles:
            say("roles:    " + (", ".join(sorted(mapped_roles(lu, roles))) or "(none)"))
        for field, query in s.USER_FLAGS_BY_GROUP.items():
            query = query if isinstance(query, LDAPGroupQuery) else LDAPGroupQuery(query)
            say(f"  {field}: {bool(query.resolve(lu))}")
        if s.REQUIRE_GROUP is not None:
            query = s.REQUIRE_GROUP if isinstance(s.REQUIRE_GROUP, LDAPGroupQuery) else LDAPGroupQuery(s.REQUIRE_GROUP)
            if not query.resolve(lu):
                problems.append("not in the allowed group (STOCKBOOK_LDAP_REQUIRE_GROUP)")
        if s.DENY_GROUP and lu._get_groups().is_member_of(s.DENY_GROUP):
            problems.append("in the disabled group (STOCKBOOK_LDAP_DENY_GROUP)")
        if password == "":
            problems.append("empty password (never accepted: it would be an anonymous bind)")
        elif password is not None:
            try:
                lu._bind_as(dn, password)
                say("password: accepted by the directory")
            except (ldap.INVALID_CREDENTIALS, ldap.UNWILLING_TO_PERFORM):
                problems.append("password rejected by the directory (wrong, or the account is locked there)")
    except ldap.LDAPError as e:
        say(f"error:    {type(e).__name__}: {e}")
        return 2

    user = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if user is None:
        say("stockbook: no user yet (created at the first login)")
    else:
        kind = "local account" if user.has_usable_password() else "LDAP account"
        say(f"stockbook: {user.get_username()} ({kind}, {'active' if user.is_active else 'inactive'}), roles: "
            + (", ".join(sorted(user.groups.values_list("name", flat=True))) or "(none)"))
        if not user.is_active:
            problems.append("inactive in Stockbook")
        if user.has_usable_password() and not getattr(settings, "STOCKBOOK_LDAP_TAKE_OVER_LOCAL", False):
            problems.append("a local account of that name exists (STOCKBOOK_LDAP_TAKE_OVER_LOCAL is off)")
    for p in problems:
        say(f"REFUSED:  {p}")
    if not problems:
        say("OK:       would be let in" + ("" if password is not None else " (password not checked)"))
    return 1 if problems else 0


def run_check(args) -> int:
    return check(args.username, _read_password() if args.password else None)
