"""STOCKBOOK_LDAP_* → Django settings (stockbook.users.ldap_settings), and settings.py using it."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from stockbook.users.ldap_settings import BACKEND, ldap_settings, normalize_dn, parse_group_roles, with_ldap_backend

AXES = "axes.backends.AxesStandaloneBackend"
MODEL = "django.contrib.auth.backends.ModelBackend"
MIN = {"STOCKBOOK_LDAP_URI": "ldap://ldap.example.cn", "STOCKBOOK_LDAP_USER_BASE": "ou=people,dc=example,dc=cn"}


def test_off_without_uri():
    assert ldap_settings({}, [AXES, MODEL]) == {"STOCKBOOK_LDAP_ENABLED": False}
    assert ldap_settings({"STOCKBOOK_LDAP_URI": "  "}, [AXES, MODEL]) == {"STOCKBOOK_LDAP_ENABLED": False}


def test_backend_goes_after_axes_and_before_model_backend():
    assert ldap_settings(MIN, [AXES, MODEL])["AUTHENTICATION_BACKENDS"] == [AXES, BACKEND, MODEL]
    assert with_ldap_backend([AXES, "x.Other", MODEL]) == [AXES, "x.Other", BACKEND, MODEL]
    assert with_ldap_backend([AXES, BACKEND, MODEL]) == [AXES, BACKEND, MODEL]  # idempotent
    assert with_ldap_backend([AXES]) == [AXES, BACKEND]


def test_minimal_setup():
    s = ldap_settings(MIN, [AXES, MODEL])
    assert s["STOCKBOOK_LDAP_ENABLED"] and s["AUTH_LDAP_SERVER_URI"] == "ldap://ldap.example.cn"
    assert s["AUTH_LDAP_USER_SEARCH"].base_dn == "ou=people,dc=example,dc=cn"
    assert s["AUTH_LDAP_USER_SEARCH"].filterstr == "(uid=%(user)s)"
    assert s["AUTH_LDAP_USER_ATTR_MAP"] == {"first_name": "givenName", "last_name": "sn", "email": "mail"}
    assert s["AUTH_LDAP_REQUIRE_GROUP"] is None and s["AUTH_LDAP_DENY_GROUP"] is None
    assert "AUTH_LDAP_GROUP_SEARCH" not in s and s["STOCKBOOK_LDAP_GROUP_ROLES"] == {}
    assert not s["AUTH_LDAP_START_TLS"] and not s["STOCKBOOK_LDAP_TAKE_OVER_LOCAL"]
    import ldap

    assert s["AUTH_LDAP_CONNECTION_OPTIONS"][ldap.OPT_NETWORK_TIMEOUT] == 5.0


def test_password_file_and_tls(tmp_path):
    import ldap

    (tmp_path / "pw").write_text("s3cret\n")
    s = ldap_settings({**MIN, "STOCKBOOK_LDAP_BIND_PASSWORD": "ignored", "STOCKBOOK_LDAP_BIND_PASSWORD_FILE": str(tmp_path / "pw"),
                       "STOCKBOOK_LDAP_START_TLS": "1", "STOCKBOOK_LDAP_CA_FILE": "/etc/ssl/ca.pem"}, [MODEL])
    assert s["AUTH_LDAP_BIND_PASSWORD"] == "s3cret" and s["AUTH_LDAP_START_TLS"]
    opts = s["AUTH_LDAP_CONNECTION_OPTIONS"]
    assert opts[ldap.OPT_X_TLS_CACERTFILE] == "/etc/ssl/ca.pem"
    assert list(opts)[-1] == ldap.OPT_X_TLS_NEWCTX  # must come after the other TLS options


def test_group_roles_parsing():
    roles = parse_group_roles(json.dumps({"CN=Finance, OU=Groups,DC=x": "财务", "IT-Admins": ["系统管理员", "管理层"],
                                          "cn=finance,ou=groups,dc=x": ["财务主管"]}, ensure_ascii=False))
    assert roles == {"cn=finance,ou=groups,dc=x": ("财务", "财务主管"), "it-admins": ("系统管理员", "管理层")}
    assert normalize_dn("CN=A B,  OU=Groups") == "cn=a b,ou=groups"


@pytest.mark.parametrize("env, message", [
    ({"STOCKBOOK_LDAP_URI": "ldap://x"}, "STOCKBOOK_LDAP_USER_BASE is needed"),
    ({**MIN, "STOCKBOOK_LDAP_USER_FILTER": "(uid=*)"}, "must contain %(user)s"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_ROLES": "{not json"}, "not valid JSON"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_ROLES": '["财务"]'}, "must be a JSON object"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_ROLES": '{"cn=a,dc=x": []}'}, "must map to a role name"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_ROLES": '{"cn=a,dc=x": "财务"}'}, "needs STOCKBOOK_LDAP_GROUP_BASE"),
    ({**MIN, "STOCKBOOK_LDAP_REQUIRE_GROUP": "cn=a,dc=x"}, "needs STOCKBOOK_LDAP_GROUP_BASE"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_BASE": "dc=x", "STOCKBOOK_LDAP_REQUIRE_GROUP": "staff"}, "is not a DN"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_BASE": "dc=x", "STOCKBOOK_LDAP_DENY_GROUP": "cn=a,dc=x;cn=b,dc=x"}, "one group DN"),
    ({**MIN, "STOCKBOOK_LDAP_GROUP_TYPE": "activeDirectory"}, "STOCKBOOK_LDAP_GROUP_TYPE must be one of"),
    ({**MIN, "STOCKBOOK_LDAP_TIMEOUT": "soon"}, "number of seconds"),
    ({**MIN, "STOCKBOOK_LDAP_TIMEOUT": "0"}, "more than 0"),
    ({**MIN, "STOCKBOOK_LDAP_START_TLS": "maybe"}, "must be 1 or 0"),
    ({**MIN, "STOCKBOOK_LDAP_URI": "ldaps://x", "STOCKBOOK_LDAP_START_TLS": "1"}, "ldaps:// is TLS already"),
    ({**MIN, "STOCKBOOK_LDAP_ATTR_MAP": '{"phone": "mobile"}'}, "unknown user field"),
    ({**MIN, "STOCKBOOK_LDAP_BIND_PASSWORD_FILE": "/nonexistent/pw"}, "STOCKBOOK_LDAP_BIND_PASSWORD_FILE"),
])
def test_bad_setups_are_refused_at_startup(env, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        ldap_settings(env, [AXES, MODEL])


def test_settings_module_reads_the_environment():
    """The real settings.py, in a fresh interpreter: LDAP on from the environment, axes still first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKBOOK_LDAP_")}
    env.update(MIN, STOCKBOOK_LDAP_GROUP_BASE="ou=groups,dc=example,dc=cn",
               STOCKBOOK_LDAP_GROUP_ROLES='{"cn=finance,ou=groups,dc=example,dc=cn": "财务"}',
               DJANGO_SETTINGS_MODULE="stockbook.settings")
    code = ("import json; from django.conf import settings as s; print(json.dumps([s.AUTHENTICATION_BACKENDS, "
            "s.AUTH_LDAP_SERVER_URI, s.AUTH_LDAP_USER_SEARCH.base_dn, s.STOCKBOOK_LDAP_GROUP_ROLES]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    backends, uri, base, roles = json.loads(out.stdout)
    assert backends == [AXES, BACKEND, MODEL]
    assert (uri, base) == ("ldap://ldap.example.cn", "ou=people,dc=example,dc=cn")
    assert roles == {"cn=finance,ou=groups,dc=example,dc=cn": ["财务"]}


def test_default_settings_have_no_ldap(settings):
    if os.environ.get("STOCKBOOK_LDAP_URI"):
        pytest.skip("STOCKBOOK_LDAP_URI is set in this environment")
    assert settings.STOCKBOOK_LDAP_ENABLED is False
    assert settings.AUTHENTICATION_BACKENDS[0] == AXES and BACKEND not in settings.AUTHENTICATION_BACKENDS
