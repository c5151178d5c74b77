"""Appending to the chain, and the one canonical form every hash is computed over.

An entry's ``hash`` is HMAC-SHA256(key, canonical JSON of [prev_hash, at, user_id, username, ip, action,
object_type, object_id, object_repr, before, after, remark]). ``seq`` is not hashed: it must equal the
entry's position in the chain, which the ``prev_hash`` links fix — so a renumbered, inserted or deleted row
still shows up, and verification can say which one it was. The key is ``STOCKBOOK_AUDIT_KEY`` or, without
one, a key derived from ``SECRET_KEY``: whoever can edit the database but does not hold the key cannot
recompute a valid hash.
"""
import datetime as dt
import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .context import client_ip, current_request
from .models import GENESIS, AuditArchive, AuditEntry, ChainHead

ENTRY_FIELDS = ("user_id", "username", "ip", "action", "object_type", "object_id", "object_repr", "before", "after", "remark")


# -- keys and hashes ----------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _derive(configured: str, secret: str) -> bytes:
    if configured:
        return hashlib.sha256(b"stockbook-audit-key\x00" + configured.encode()).digest()
    return hmac.new(secret.encode(), b"stockbook.audit.chain.v1", hashlib.sha256).digest()


def audit_key() -> bytes:
    return _derive(getattr(settings, "STOCKBOOK_AUDIT_KEY", "") or "", settings.SECRET_KEY)


def key_id(key: bytes | None = None) -> str:
    return hmac.new(key or audit_key(), b"key-id", hashlib.sha256).hexdigest()[:16]


def at_text(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_at(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def entry_mac(key: bytes, prev_hash: str, at: str, f: dict) -> str:
    msg = json.dumps([prev_hash, at, *(f[k] for k in ENTRY_FIELDS)], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()


def row_mac(key: bytes, row: dict) -> str:
    """The hash a stored row (dict with ``at`` as datetime or canonical text) should carry."""
    at = row["at"] if isinstance(row["at"], str) else at_text(row["at"])
    return entry_mac(key, row["prev_hash"], at, row)


def head_mac(key: bytes, seq: int, hash_: str, kid: str, rebuilt_at: str) -> str:
    return hmac.new(key, f"head|{seq}|{hash_}|{kid}|{rebuilt_at}".encode(), hashlib.sha256).hexdigest()


def archive_mac(key: bytes, a) -> str:
    msg = "|".join(str(x) for x in ("archive", a.file, a.sha256, a.count, a.first_seq, a.last_seq, a.first_prev_hash,
                                     a.last_hash, at_text(a.first_at), at_text(a.last_at)))
    return hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()


# -- values -------------------------------------------------------------------------------------------------
def _default(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (set, frozenset)):
        return sorted(v, key=str)
    if isinstance(v, uuid.UUID):
        return str(v)
    if hasattr(v, "_meta") and hasattr(v, "pk"):
        return v.pk
    return str(v)


def to_json_text(v) -> str:
    if v is None:
        return ""
    return json.dumps(v, ensure_ascii=False, sort_keys=True, default=_default)


def _clip(s, n: int) -> str:
    s = "" if s is None else str(s)
    return s[:n]


# -- appending ----------------------------------------------------------------------------------------------
def record(action: str, obj=None, *, user=None, request=None, before=None, after=None, remark: str = "",
           object_type: str | None = None, object_id=None, object_repr: str | None = None,
           username: str | None = None) -> int:
    """Append one entry and return its seq.

    ``obj`` is a model instance (or None); ``object_type``/``object_id``/``object_repr`` override what it
    gives. ``user`` and the IP default to the request being served (``request`` or the one the middleware
    saw). ``before``/``after`` are JSON-able values (dicts of field → value, usually). The entry is written in
    the caller's transaction: if that rolls back, so does the entry."""
    if not isinstance(action, str) or not action or len(action) > 32:
        raise ValueError(f"bad audit action: {action!r}")
    if request is None:
        request = current_request()
    if user is not None and not getattr(user, "pk", None):
        user = None
    if user is None and request is not None:
        u = getattr(request, "user", None)
        if u is not None and getattr(u, "is_authenticated", False):
            user = u
    if obj is not None:
        meta = getattr(obj, "_meta", None)
        if object_type is None and meta is not None:
            object_type = meta.label_lower
        if object_id is None:
            object_id = getattr(obj, "pk", None)
        if object_repr is None:
            object_repr = str(obj)
    f = {
        "user_id": user.pk if user is not None else None,
        "username": _clip(username if username is not None else (user.get_username() if user is not None else ""), 150),
        "ip": client_ip(request),
        "action": action,
        "object_type": _clip(object_type, 100),
        "object_id": _clip(object_id, 64),
        "object_repr": _clip(object_repr, 200),
        "before": to_json_text(before),
        "after": to_json_text(after),
        "remark": "" if remark is None else str(remark),
    }
    return append(f)


def posted(doc, vouchers=(), user=None) -> int:
    """The ``post`` entry of a document ``post()`` has just written, in its transaction."""
    from stockbook.posting.service import TYPE_NAMES

    after = {"type": doc.type, "ref": doc.ref, "date": doc.date, "source": doc.source,
             "vouchers": [str(v) for v in vouchers or ()]}
    return record("post", doc, user=user, object_repr=f"{TYPE_NAMES.get(doc.type, doc.type)} {doc.ref or doc.identity}", after=after)


_E = AuditEntry._meta.db_table
_H = ChainHead._meta.db_table
_COLS = ("seq", "at", *ENTRY_FIELDS, "prev_hash", "hash")
_INSERT = f"INSERT INTO {_E} ({', '.join(_COLS)}) VALUES ({', '.join(['%s'] * len(_COLS))})"
_UPDATE_HEAD = f"UPDATE {_H} SET seq = %s, hash = %s, mac = %s WHERE id = 1"


def append(f: dict) -> int:
    """Lock the head, insert the entry, move the head: two round trips on PostgreSQL (the insert and the
    head update go in one statement), three cheap statements on SQLite."""
    key = audit_key()
    with transaction.atomic(savepoint=False):  # joins the caller's transaction; SQLite: BEGIN IMMEDIATE
        with connection.cursor() as cur:
            seq, prev, kid, rebuilt = lock_head(cur)
            at = timezone.now()  # taken under the lock, so time never goes backwards along the chain
            h = entry_mac(key, prev, at_text(at), f)
            seq += 1
            row = [seq, connection.ops.adapt_datetimefield_value(at), *(f[k] for k in ENTRY_FIELDS), prev, h]
            head = [seq, h, head_mac(key, seq, h, kid, rebuilt)]
            if connection.vendor == "postgresql":
                cur.execute(f"WITH e AS ({_INSERT}) {_UPDATE_HEAD}", row + head)
            else:
                cur.execute(_INSERT, row)
                cur.execute(_UPDATE_HEAD, head)
    return seq


def lock_head(cur) -> tuple[int, str, str, str]:
    """(seq, hash, key_id, rebuilt_at) of the head, locked until the transaction ends (PostgreSQL; SQLite
    writers are serial anyway). A missing head row is created."""
    sql = f"SELECT seq, hash, key_id, rebuilt_at FROM {_H} WHERE id = 1"
    if connection.vendor == "postgresql":
        sql += " FOR UPDATE"
    cur.execute(sql)
    row = cur.fetchone()
    if row is None:
        _create_head(cur)
        cur.execute(sql)
        row = cur.fetchone()
    return int(row[0]), row[1], row[2], row[3]


def _create_head(cur):
    """A fresh database starts at the genesis hash. If entries or archives exist, the head row was deleted:
    it is rebuilt from the last entry, and ``rebuilt_at`` marks it for ``audit verify`` for ever."""
    key = audit_key()
    kid = key_id(key)
    cur.execute(f"SELECT seq, hash FROM {_E} ORDER BY seq DESC LIMIT 1")
    last = cur.fetchone()
    if last is None:
        a = AuditArchive.objects.order_by("-last_seq").values_list("last_seq", "last_hash").first()
        last = a
    seq, h = (int(last[0]), last[1]) if last else (0, GENESIS)
    rebuilt = at_text(timezone.now()) if last else ""
    ins = "INSERT OR IGNORE INTO" if connection.vendor == "sqlite" else "INSERT INTO"
    tail = " ON CONFLICT (id) DO NOTHING" if connection.vendor == "postgresql" else ""
    cur.execute(f"{ins} {_H} (id, seq, hash, mac, key_id, rebuilt_at) VALUES (1, %s, %s, %s, %s, %s){tail}",
                [seq, h, head_mac(key, seq, h, kid, rebuilt), kid, rebuilt])
