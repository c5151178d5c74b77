"""LDAP login settings from the environment (docs/ldap.md).

``settings.py`` calls :func:`ldap_settings` with ``os.environ``; tests call it with their own mapping and
apply the result with pytest-django's ``settings`` fixture. LDAP is off unless STOCKBOOK_LDAP_URI is set, and
then python-ldap / django-auth-ldap are imported only here and in :mod:`stockbook.users.ldap`.

django-auth-ldap reads the AUTH_LDAP_* settings each time a login is tried (Django builds a new backend
object per ``authenticate()`` call), so changed settings apply to the next login without a restart.

This module is imported while the settings are loading: it must not import models or anything that needs
configured settings.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

BACKEND = "stockbook.users.ldap.LDAPBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

# The roles of issue 5 (Django groups, matched by name). A mapping may also name other Django groups.
ROLES = ("系统管理员", "采购", "销售", "仓库", "财务", "财务主管", "区域经理", "管理层", "审计")

GROUP_TYPES = {
    # name → (django_auth_ldap.config class, default group filter)
    "groupOfNames": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "nestedGroupOfNames": ("NestedGroupOfNamesType", "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": ("GroupOfUniqueNamesType", "(objectClass=groupOfUniqueNames)"),
    "posixGroup": ("PosixGroupType", "(objectClass=posixGroup)"),
}
DEFAULT_ATTR_MAP = {"first_name": "givenName", "last_name": "sn", "email": "mail"}


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    v = env.get(name, "").strip().lower()
    if not v:
        return default
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {v!r}")


def _dn_list(value: str) -> list[str]:
    """DNs separated by ';' (DNs themselves contain commas)."""
    return [part.strip() for part in value.split(";") if part.strip()]


def normalize_dn(dn: str) -> str:
    """A DN compared case-insensitively and without insignificant spaces: 'CN=Finance, OU=Groups' ==
    'cn=finance,ou=groups'."""
    import ldap.dn

    try:
        rdns = ldap.dn.str2dn(dn)
    except ldap.DECODING_ERROR:
        return dn.strip().lower()
    return ldap.dn.dn2str([[(a.lower(), v.lower(), f) for a, v, f in rdn] for rdn in rdns])


def is_dn(key: str) -> bool:
    import ldap.dn

    return "=" in key and ldap.dn.is_dn(key)


def parse_group_roles(raw: str) -> dict[str, tuple[str, ...]]:
    """STOCKBOOK_LDAP_GROUP_ROLES: a JSON object, LDAP group (its DN, or its name — the cn) → a Django group
    name or a list of them. Keys come back normalised: DNs by :func:`normalize_dn`, names casefolded."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ImproperlyConfigured(f"STOCKBOOK_LDAP_GROUP_ROLES is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ImproperlyConfigured("STOCKBOOK_LDAP_GROUP_ROLES must be a JSON object {LDAP group: role(s)}")
    out: dict[str, tuple[str, ...]] = {}
    for key, roles in data.items():
        roles = [roles] if isinstance(roles, str) else roles
        if not (isinstance(key, str) and key.strip() and isinstance(roles, list) and roles
                and all(isinstance(r, str) and r.strip() for r in roles)):
            raise ImproperlyConfigured(f"STOCKBOOK_LDAP_GROUP_ROLES: {key!r} must map to a role name or a list "
                                       f"of role names (Django groups such as {', '.join(ROLES[:3])}…)")
        norm = normalize_dn(key) if is_dn(key) else key.strip().casefold()
        out[norm] = tuple(dict.fromkeys((*out.get(norm, ()), *(r.strip() for r in roles))))
    return out


def with_ldap_backend(backends: list[str]) -> list[str]:
    """The LDAP backend right before ModelBackend: the axes backend (and anything else listed first) keeps
    its place, so a locked-out login never reaches the directory; local passwords are checked after LDAP."""
    backends = [b for b in backends if b != BACKEND]
    pos = backends.index(MODEL_BACKEND) if MODEL_BACKEND in backends else len(backends)
    return [*backends[:pos], BACKEND, *backends[pos:]]


def ldap_settings(env: Mapping[str, str], backends: list[str]) -> dict:
    """The settings for LDAP login described by ``env``: {STOCKBOOK_LDAP_ENABLED: False} when
    STOCKBOOK_LDAP_URI is unset, else the AUTH_LDAP_* settings, Stockbook's own and the
    AUTHENTICATION_BACKENDS with the LDAP backend added. Raises ImproperlyConfigured on a bad setup."""
    uri = env.get("STOCKBOOK_LDAP_URI", "").strip()
    if not uri:
        return {"STOCKBOOK_LDAP_ENABLED": False}
    try:
        import ldap
        from django_auth_ldap import config as c
    except ImportError as e:  # pragma: no cover - the dependency is in pyproject
        raise ImproperlyConfigured(f"STOCKBOOK_LDAP_URI is set but {e.name} is not installed") from None

    def need(name: str) -> str:
        v = env.get(name, "").strip()
        if not v:
            raise ImproperlyConfigured(f"STOCKBOOK_LDAP_URI is set: {name} is needed too (see docs/ldap.md)")
        return v

    out: dict = {"STOCKBOOK_LDAP_ENABLED": True, "AUTH_LDAP_SERVER_URI": uri}

    out["AUTH_LDAP_BIND_DN"] = env.get("STOCKBOOK_LDAP_BIND_DN", "").strip()
    password = env.get("STOCKBOOK_LDAP_BIND_PASSWORD", "")
    pw_file = env.get("STOCKBOOK_LDAP_BIND_PASSWORD_FILE", "").strip()
    if pw_file:
        try:
            with open(pw_file, encoding="utf-8") as f:
                password = f.read().rstrip("\r\n")
        except OSError as e:
            raise ImproperlyConfigured(f"STOCKBOOK_LDAP_BIND_PASSWORD_FILE: {e}") from None
    out["AUTH_LDAP_BIND_PASSWORD"] = password

    user_filter = env.get("STOCKBOOK_LDAP_USER_FILTER", "").strip() or "(uid=%(user)s)"
    if "%(user)s" not in user_filter:
        raise ImproperlyConfigured("STOCKBOOK_LDAP_USER_FILTER must contain %(user)s, e.g. (uid=%(user)s)")
    out["AUTH_LDAP_USER_SEARCH"] = c.LDAPSearch(need("STOCKBOOK_LDAP_USER_BASE"), ldap.SCOPE_SUBTREE, user_filter)

    attr_map = dict(DEFAULT_ATTR_MAP)
    if env.get("STOCKBOOK_LDAP_ATTR_MAP", "").strip():
        try:
            extra = json.loads(env["STOCKBOOK_LDAP_ATTR_MAP"])
        except json.JSONDecodeError as e:
            raise ImproperlyConfigured(f"STOCKBOOK_LDAP_ATTR_MAP is not valid JSON: {e}") from None
        if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
            raise ImproperlyConfigured('STOCKBOOK_LDAP_ATTR_MAP must be a JSON object like {"email": "mail"}')
        bad = set(extra) - {"first_name", "last_name", "email"}
        if bad:
            raise ImproperlyConfigured(f"STOCKBOOK_LDAP_ATTR_MAP: unknown user field(s) {sorted(bad)}")
        attr_map.update(extra)
    out["AUTH_LDAP_USER_ATTR_MAP"] = attr_map
    out["AUTH_LDAP_ALWAYS_UPDATE_USER"] = True  # name and e-mail follow the directory at every login

    group_base = env.get("STOCKBOOK_LDAP_GROUP_BASE", "").strip()
    group_type = env.get("STOCKBOOK_LDAP_GROUP_TYPE", "").strip() or "groupOfNames"
    if group_type not in GROUP_TYPES:
        raise ImproperlyConfigured(f"STOCKBOOK_LDAP_GROUP_TYPE must be one of {', '.join(GROUP_TYPES)}")
    if group_base:
        cls_name, default_filter = GROUP_TYPES[group_type]
        group_filter = env.get("STOCKBOOK_LDAP_GROUP_FILTER", "").strip() or default_filter
        out["AUTH_LDAP_GROUP_SEARCH"] = c.LDAPSearch(group_base, ldap.SCOPE_SUBTREE, group_filter)
        out["AUTH_LDAP_GROUP_TYPE"] = getattr(c, cls_name)(name_attr="cn")

    def group_query(name: str):
        dns = _dn_list(env.get(name, ""))
        if not dns:
            return None
        if not group_base:
            raise ImproperlyConfigured(f"{name} needs STOCKBOOK_LDAP_GROUP_BASE (where to look for groups)")
        for dn in dns:
            if not is_dn(dn):
                raise ImproperlyConfigured(f"{name}: {dn!r} is not a DN")
        query = c.LDAPGroupQuery(dns[0])
        for dn in dns[1:]:
            query |= c.LDAPGroupQuery(dn)
        return query

    out["AUTH_LDAP_REQUIRE_GROUP"] = group_query("STOCKBOOK_LDAP_REQUIRE_GROUP")  # any one of them
    deny = _dn_list(env.get("STOCKBOOK_LDAP_DENY_GROUP", ""))
    if len(deny) > 1:
        raise ImproperlyConfigured("STOCKBOOK_LDAP_DENY_GROUP takes one group DN")
    if deny:
        group_query("STOCKBOOK_LDAP_DENY_GROUP")  # validates it
    out["AUTH_LDAP_DENY_GROUP"] = deny[0] if deny else None
    flags = {}
    for field, name in (("is_staff", "STOCKBOOK_LDAP_STAFF_GROUP"), ("is_superuser", "STOCKBOOK_LDAP_SUPERUSER_GROUP")):
        query = group_query(name)
        if query is not None:
            flags[field] = query
    out["AUTH_LDAP_USER_FLAGS_BY_GROUP"] = flags

    roles = parse_group_roles(env.get("STOCKBOOK_LDAP_GROUP_ROLES", ""))
    if roles and not group_base:
        raise ImproperlyConfigured("STOCKBOOK_LDAP_GROUP_ROLES needs STOCKBOOK_LDAP_GROUP_BASE (where to look for groups)")
    out["STOCKBOOK_LDAP_GROUP_ROLES"] = roles
    out["STOCKBOOK_LDAP_TAKE_OVER_LOCAL"] = _flag(env, "STOCKBOOK_LDAP_TAKE_OVER_LOCAL")

    try:
        timeout = float(env.get("STOCKBOOK_LDAP_TIMEOUT", "").strip() or "5")
    except ValueError:
        raise ImproperlyConfigured("STOCKBOOK_LDAP_TIMEOUT must be a number of seconds") from None
    if timeout <= 0:
        raise ImproperlyConfigured("STOCKBOOK_LDAP_TIMEOUT must be more than 0 seconds")
    # A login waits at most this long for the directory: to connect, and for each answer.
    options = {ldap.OPT_NETWORK_TIMEOUT: timeout, ldap.OPT_TIMEOUT: timeout, ldap.OPT_REFERRALS: 0}
    ca_file = env.get("STOCKBOOK_LDAP_CA_FILE", "").strip()
    if ca_file:
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: applies the TLS options above to this connection
    out["AUTH_LDAP_CONNECTION_OPTIONS"] = options
    out["AUTH_LDAP_START_TLS"] = _flag(env, "STOCKBOOK_LDAP_START_TLS")
    if out["AUTH_LDAP_START_TLS"] and uri.lower().startswith("ldaps://"):
        raise ImproperlyConfigured("STOCKBOOK_LDAP_START_TLS is for ldap:// URIs; ldaps:// is TLS already")

    out["AUTHENTICATION_BACKENDS"] = with_ldap_backend(list(backends))
    return out
