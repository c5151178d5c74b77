"""A throwaway OpenLDAP server (Debian's /usr/sbin/slapd) for the LDAP login tests.

It lives in a temp directory: a cn=config tree loaded with ``slapadd -n0`` (mdb backend, schemas core,
cosine, inetorgperson and nis from /etc/ldap/schema, the ppolicy overlay so an account can be locked the
way OpenLDAP administrators do it), the directory below loaded with ``slapadd``, and slapd listening on
``ldap://127.0.0.1:<free port>/`` as the current user. The system slapd (if any) is never touched.

Run ``python tests/ldap/slapd.py`` to start one by hand and print how to reach it.
"""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
LDAPSEARCH = shutil.which("ldapsearch") or "/usr/bin/ldapsearch"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

SUFFIX = "dc=stockbook,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "root-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SERVICE_DN = f"cn=stockbook,ou=services,{SUFFIX}"
SERVICE_PW = "service-secret"
POLICY_DN = f"cn=default,ou=policies,{SUFFIX}"


@dataclass
class Person:
    uid: str
    password: str
    cn: str
    sn: str
    given: str
    mail: str
    groups: list[str] = field(default_factory=list)  # cn of groups under ou=groups
    locked: bool = False  # ppolicy: pwdAccountLockedTime=000001010000Z (locked until an admin unlocks)

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


# The directory every test can rely on (tests that change entries add their own, see conftest.ldap_admin).
PEOPLE_DATA = [
    Person("alice", "alice-Pass-1", "陈静", "陈", "静", "alice@stockbook.test", ["stockbook-users", "finance", "finance-chiefs"]),
    Person("bob", "bob-Pass-2", "赵建国", "赵", "建国", "bob@stockbook.test", ["stockbook-users", "warehouse"]),
    Person("carol", "carol-Pass-3", "Carol Outsider", "Outsider", "Carol", "carol@stockbook.test", ["contractors"]),
    Person("dave", "dave-Pass-4", "孙志强", "孙", "志强", "dave@stockbook.test", ["stockbook-users", "disabled"]),
    Person("erin", "erin-Pass-5", "吴晓燕", "吴", "晓燕", "erin@stockbook.test", ["stockbook-users", "auditors"], locked=True),
    Person("frank", "frank-Pass-6", "刘建华", "刘", "建华", "frank@stockbook.test", ["stockbook-users", "it-admins"]),
]
GROUP_NAMES = ["stockbook-users", "contractors", "disabled", "finance", "finance-chiefs", "warehouse", "auditors",
               "it-admins", "sales"]


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


def ssha(password: str, salt: bytes | None = None) -> str:
    """RFC 2307 {SSHA}, what ``slappasswd`` writes by default."""
    salt = salt if salt is not None else os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def _ldif_value(attr: str, value: str) -> str:
    """One LDIF line; values that are not plain ASCII go base64-encoded (RFC 2849 SAFE-STRING)."""
    if value.isascii() and value == value.strip() and not value.startswith((":", "<")):
        return f"{attr}: {value}"
    return f"{attr}:: {base64.b64encode(value.encode()).decode()}"


def ldif_entry(dn: str, attrs: list[tuple[str, str]]) -> str:
    return "\n".join([_ldif_value("dn", dn), *(_ldif_value(a, v) for a, v in attrs)]) + "\n"


def person_attrs(p: Person) -> list[tuple[str, str]]:
    attrs = [("objectClass", "inetOrgPerson"), ("uid", p.uid), ("cn", p.cn), ("sn", p.sn), ("givenName", p.given),
             ("mail", p.mail), ("userPassword", ssha(p.password))]
    if p.locked:
        attrs.append(("pwdAccountLockedTime", "000001010000Z"))
    return attrs


def config_ldif(workdir: Path) -> str:
    tls = (f"olcTLSCertificateFile: {workdir / 'server.crt'}\nolcTLSCertificateKeyFile: {workdir / 'server.key'}\n"
           if (workdir / "server.crt").exists() else "")
    schemas = "\n".join(f"include: file://{SCHEMA_DIR / name}.ldif" for name in ("core", "cosine", "inetorgperson", "nis"))
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {workdir / 'slapd.pid'}
olcArgsFile: {workdir / 'slapd.args'}
{tls}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {ROOT_DN}
olcRootPW: {ssha(ROOT_PW)}
olcDbDirectory: {workdir / 'data'}
olcDbMaxSize: 16777216
olcDbIndex: objectClass eq
olcDbIndex: uid,member eq
olcAccess: {{0}}to attrs=userPassword by self =w by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{SERVICE_DN}" read by self read by * none

dn: olcOverlay={{0}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{0}}ppolicy
olcPPolicyDefault: {POLICY_DN}
"""


def data_ldif() -> str:
    entries = [
        ldif_entry(SUFFIX, [("objectClass", "dcObject"), ("objectClass", "organization"), ("dc", "stockbook"),
                            ("o", "Stockbook 测试公司")]),
        *(ldif_entry(f"ou={ou},{SUFFIX}", [("objectClass", "organizationalUnit"), ("ou", ou)])
          for ou in ("people", "groups", "services", "policies")),
        ldif_entry(SERVICE_DN, [("objectClass", "organizationalRole"), ("objectClass", "simpleSecurityObject"),
                                ("cn", "stockbook"), ("userPassword", ssha(SERVICE_PW))]),
        ldif_entry(POLICY_DN, [("objectClass", "device"), ("objectClass", "pwdPolicy"), ("cn", "default"),
                               ("pwdAttribute", "userPassword"), ("pwdLockout", "TRUE")]),
        *(ldif_entry(p.dn, person_attrs(p)) for p in PEOPLE_DATA),
    ]
    for g in GROUP_NAMES:
        members = [p.dn for p in PEOPLE_DATA if g in p.groups] or [ROOT_DN]  # groupOfNames needs one member
        entries.append(ldif_entry(group_dn(g), [("objectClass", "groupOfNames"), ("cn", g),
                                                *(("member", m) for m in members)]))
    return "\n".join(entries)


def missing_tools() -> list[str]:
    return [p for p in (SLAPD, SLAPADD, LDAPSEARCH, OPENSSL, str(SCHEMA_DIR / "inetorgperson.ldif"), str(MODULE_DIR / "back_mdb.so"))
            if not os.path.exists(p)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    """start() → slapd answering on self.uri (plain, StartTLS) and self.ldaps_uri (TLS) with a self-signed
    certificate for 127.0.0.1 (self.ca_file); stop() kills it and removes the temp directory."""

    def __init__(self):
        self.workdir = Path(tempfile.mkdtemp(prefix="stockbook-slapd-"))
        self.proc: subprocess.Popen | None = None
        self.port = self.tls_port = 0

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}/"

    @property
    def ldaps_uri(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}/"

    @property
    def ca_file(self) -> str:
        return str(self.workdir / "server.crt")

    def _run(self, *cmd, input_text=None):
        r = subprocess.run(cmd, input=input_text, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def load(self):
        confdir, datadir = self.workdir / "slapd.d", self.workdir / "data"
        confdir.mkdir()
        datadir.mkdir()
        self._run(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                  "-keyout", self.workdir / "server.key", "-out", self.workdir / "server.crt")
        (self.workdir / "config.ldif").write_text(config_ldif(self.workdir))
        (self.workdir / "data.ldif").write_text(data_ldif())
        self._run(SLAPADD, "-n0", "-F", confdir, "-l", self.workdir / "config.ldif")
        self._run(SLAPADD, "-F", confdir, "-b", SUFFIX, "-l", self.workdir / "data.ldif")

    def start(self, timeout: float = 15.0) -> "Slapd":
        self.load()
        log = open(self.workdir / "slapd.log", "wb")
        for _attempt in range(5):  # the free port may be taken between free_port() and slapd's bind
            self.port, self.tls_port = free_port(), free_port()
            # -d 0: stay in the foreground (no fork), so the Popen handle is slapd itself.
            self.proc = subprocess.Popen([SLAPD, "-h", f"{self.uri} {self.ldaps_uri}", "-F", str(self.workdir / "slapd.d"), "-d", "0"],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.answers():
                    return self
                time.sleep(0.05)
            self._kill()
        raise RuntimeError(f"slapd did not answer on {self.uri}; its log:\n"
                           + (self.workdir / "slapd.log").read_text(errors="replace")[-4000:])

    def answers(self) -> bool:
        r = subprocess.run([LDAPSEARCH, "-x", "-LLL", "-o", "nettimeout=2", "-H", self.uri, "-D", ROOT_DN, "-w", ROOT_PW,
                            "-b", SUFFIX, "-s", "base", "dn"], capture_output=True, text=True, timeout=10)
        return r.returncode == 0 and SUFFIX in r.stdout

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # slapd shuts down cleanly on SIGTERM
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def stop(self):
        self._kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


if __name__ == "__main__":
    server = Slapd().start()
    print(f"slapd on {server.uri} and {server.ldaps_uri} (pid {server.proc.pid}, CA {server.ca_file}), base {SUFFIX}\n"
          f"  root: -D '{ROOT_DN}' -w {ROOT_PW}\n  service: -D '{SERVICE_DN}' -w {SERVICE_PW}\n"
          f"  users: " + ", ".join(f"{p.uid}/{p.password}" for p in PEOPLE_DATA) + "\nCtrl-C stops it.")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
