"""``audit verify``: walk the whole chain — archive files, then the database — and name every entry that
was edited, deleted or inserted.

How each tampering shows:

- **edited**: the entry's hash does not match its contents (the next entry still links to its stored hash);
- **deleted**: a gap in ``seq``, or — if later rows were renumbered to close it — the next entry links to a
  hash no entry has; a deleted tail shows against the chain head (whose own HMAC stops it being wound back);
- **inserted**: an entry whose hash is not valid (or, for a copied row, whose link does not fit) while the
  entry after it links past it, or an entry after the head.

Archive files are checked against their database row and the manifest (SHA-256, seq range, link hashes)
before their entries join the walk; a missing or purged file is skipped using its recorded link hashes.
"""
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.utils.translation import gettext as _

from . import guards
from .archive import archive_dir, file_sha256, read_manifest, read_rows
from .chain import ENTRY_FIELDS, archive_mac, audit_key, head_mac, key_id, row_mac
from .models import GENESIS, AuditArchive, AuditEntry, ChainHead


@dataclass
class Problem:
    kind: str  # edited | deleted | inserted | relinked | duplicate | head | key | archive | guard | anchor
    message: str
    seq: int | None = None
    seq_to: int | None = None
    where: str = ""

    def __str__(self):
        if self.seq is None:
            label = "-"
        elif self.seq_to is not None and self.seq_to != self.seq:
            label = f"seq {self.seq}-{self.seq_to}"
        else:
            label = f"seq {self.seq}"
        return f"{label} [{self.kind}] {self.message}" + (f" ({self.where})" if self.where else "")


@dataclass
class Result:
    problems: list = field(default_factory=list)
    entries: int = 0
    archived: int = 0
    files: int = 0
    purged_files: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


@dataclass
class _Skip:
    """A run of the chain whose entries cannot be read (a purged or missing file): only its link hashes."""

    first_seq: int
    last_seq: int
    prev_hash: str
    last_hash: str
    name: str


class _Walker:
    def __init__(self, res: Result, key: bytes, head):
        self.res, self.key, self.head = res, key, head
        self.E = GENESIS  # hash of the last entry in the chain
        self.last_seq = 0  # highest seq seen
        self.chain_seq = 0  # seq of the last entry in the chain
        self.flagged = False  # the previous entry was reported (so a broken link after it is no news)

    def problem(self, kind, message, seq=None, seq_to=None, where=""):
        self.res.problems.append(Problem(kind, message, seq, seq_to, where))
        return True

    def skip(self, s: _Skip):
        gap = self._continuity(s.first_seq, s.name)
        if s.prev_hash != self.E and not gap and not self.flagged:
            self.problem("relinked", _("the archived run %(name)s does not continue the chain") % {"name": s.name}, s.first_seq)
        self.E, self.last_seq, self.chain_seq, self.flagged = s.last_hash, s.last_seq, s.last_seq, False

    def _continuity(self, seq: int, where: str) -> bool:
        if seq == self.last_seq:
            self.problem("duplicate", _("seq %(seq)s appears more than once: an inserted row") % {"seq": seq}, seq, where=where)
            return False
        if seq > self.last_seq + 1:
            a, b = self.last_seq + 1, seq - 1
            self.problem("deleted", _("entries missing from the chain: deleted") if a != b else _("entry missing from the chain: deleted"), a, b)
            return True
        return False

    def row(self, r: dict, nx):
        self.res.entries += 1
        seq, where = r["seq"], r.get("where", "")
        gap = self._continuity(seq, where)
        content_ok = row_mac(self.key, r) == r["hash"]
        linked = r["prev_hash"] == self.E
        nx_prev = None if nx is None else (nx.prev_hash if isinstance(nx, _Skip) else nx["prev_hash"])
        self.last_seq = max(self.last_seq, seq)
        if content_ok and linked:
            return self._accept(r, False)
        if content_ok:  # a valid entry whose link does not fit
            if gap or self.flagged:
                return self._accept(r, False)
            if (nx_prev is not None and nx_prev == self.E) or (nx is None and self.head is not None and seq > self.head.seq):
                self.problem("inserted", _("not part of the chain (a copied entry): inserted"), seq, where=where)
                self.flagged = True
                return
            self.problem("relinked", _("the entry before this one was deleted (its link points to a missing entry); "
                                       "later entries were renumbered"), seq, where=where)
            return self._accept(r, False)
        # the hash does not match the contents
        head = self.head
        if nx_prev is not None and nx_prev == r["hash"]:
            edited = True
        elif nx_prev is not None and nx_prev == self.E and r["hash"] != self.E:
            edited = False
        elif nx is None and head is not None:
            edited = head.hash == r["hash"] or seq <= head.seq
        else:
            edited = True
        if edited:
            self.problem("edited", _("contents do not match the hash: edited"), seq, where=where)
            return self._accept(r, True)
        self.problem("inserted", _("not part of the chain (its hash is not valid): inserted"), seq, where=where)
        self.flagged = True

    def _accept(self, r, flagged: bool):
        self.E, self.chain_seq, self.flagged = r["hash"], r["seq"], flagged

    def finish(self):
        head = self.head
        if head is None:
            if self.res.entries or self.res.files:
                self.problem("head", _("the chain head row is missing"))
            return
        if head.seq != self.chain_seq and any(p.kind in ("relinked", "inserted", "duplicate") for p in self.res.problems):
            self.problem("head", _("the chain head records seq %(head)s but the chain ends at seq %(last)s (see above)")
                         % {"head": head.seq, "last": self.chain_seq})
        elif head.seq > self.last_seq:
            a, b = self.last_seq + 1, head.seq
            self.problem("deleted", _("entries missing from the end of the chain: deleted") if a != b
                         else _("entry missing from the end of the chain: deleted"), a, b)
        elif head.hash != self.E and not self.flagged:
            self.problem("head", _("the last entry of the chain is not the one the chain head records"), self.chain_seq)
        elif head.seq < self.chain_seq and not self.res.problems:
            self.problem("head", _("entries were renumbered: the chain head records seq %(seq)s") % {"seq": head.seq}, self.chain_seq)


def _db_rows():
    cols = ("id", "seq", "at", *ENTRY_FIELDS, "prev_hash", "hash")
    for t in AuditEntry.objects.order_by("seq", "id").values_list(*cols).iterator(chunk_size=5000):
        r = dict(zip(cols, t))
        r["where"] = f"id={r['id']}"
        yield r


def _archive_stream(res: Result, key: bytes, walker: _Walker):
    """Archived entries (dicts) and _Skip markers, oldest first; file-level problems go to ``res``."""
    d = archive_dir()
    try:
        manifest = read_manifest(d)
    except (OSError, ValueError):
        manifest = None
        walker.problem("archive", _("the archive manifest %(path)s cannot be read") % {"path": d / "manifest.json"})
    listed = {e.get("file"): e for e in (manifest or {}).get("files", []) if isinstance(e, dict)}
    records = list(AuditArchive.objects.order_by("first_seq"))
    if records and manifest is None and not (d / "manifest.json").exists():
        walker.problem("archive", _("the archive manifest %(path)s is missing") % {"path": d / "manifest.json"})
    known = set()
    for a in records:
        known.add(a.file)
        res.files += 1
        skip = _Skip(a.first_seq, a.last_seq, a.first_prev_hash, a.last_hash, a.file)
        if archive_mac(key, a) != a.mac:
            walker.problem("archive", _("the database record of archive %(file)s was altered") % {"file": a.file}, a.first_seq, a.last_seq)
        m = listed.get(a.file)
        if manifest is not None and m is None:
            walker.problem("archive", _("archive %(file)s is not in the manifest") % {"file": a.file}, a.first_seq, a.last_seq)
        elif m is not None and any(m.get(k) != getattr(a, k) for k in ("sha256", "first_seq", "last_seq", "first_prev_hash", "last_hash", "count")):
            walker.problem("archive", _("the manifest entry of archive %(file)s differs from the database") % {"file": a.file},
                           a.first_seq, a.last_seq)
        if a.purged_at is not None:
            res.purged_files += 1
            yield skip
            continue
        p = d / a.file
        if not p.exists():
            walker.problem("archive", _("archive file %(path)s is missing") % {"path": p}, a.first_seq, a.last_seq)
            yield skip
            continue
        if file_sha256(p) != a.sha256:
            walker.problem("archive", _("archive file %(file)s was changed (SHA-256 differs)") % {"file": a.file}, a.first_seq, a.last_seq)
        try:
            rows = list(read_rows(p))
        except (OSError, ValueError, EOFError) as e:
            walker.problem("archive", _("archive file %(file)s cannot be read: %(err)s") % {"file": a.file, "err": e}, a.first_seq, a.last_seq)
            yield skip
            continue
        res.archived += len(rows)
        yield from rows
    for name, e in listed.items():
        if name not in known:
            walker.problem("archive", _("archive %(file)s is in the manifest but not in the database (its record was deleted)")
                           % {"file": name}, e.get("first_seq"), e.get("last_seq"))
    if d.exists():
        for p in sorted(d.glob("audit-*.jsonl.gz")):
            if p.name not in known and p.name not in listed:
                walker.problem("archive", _("unknown archive file %(file)s") % {"file": p.name})


def verify(anchor: tuple[int, str] | None = None) -> Result:
    """Check the whole chain. ``anchor`` = (seq, hash) noted earlier outside the database (e.g. from a
    previous ``audit verify``): the entry must still be there with that hash."""
    res = Result()
    key = audit_key()
    head = ChainHead.objects.filter(pk=1).first()
    w = _Walker(res, key, head)
    if head is not None:
        res.head_seq, res.head_hash = head.seq, head.hash
        if head.key_id != key_id(key):
            w.problem("key", _("the audit key is not the one the chain was written with (check STOCKBOOK_AUDIT_KEY / SECRET_KEY)"))
        if head_mac(key, head.seq, head.hash, head.key_id, head.rebuilt_at) != head.mac:
            w.problem("head", _("the chain head row was altered"), head.seq)
        if head.rebuilt_at:
            w.problem("head", _("the chain head row was deleted and rebuilt at %(at)s: entries deleted from the end before "
                                "then cannot be ruled out") % {"at": head.rebuilt_at})
    for t in guards.missing(connection):
        w.problem("guard", _("append-only trigger %(name)s is missing or disabled") % {"name": t})

    found_anchor = None

    def stream():
        yield from _archive_stream(res, key, w)
        yield from _db_rows()

    it = stream()
    cur = next(it, None)
    while cur is not None:
        nx = next(it, None)
        if isinstance(cur, _Skip):
            w.skip(cur)
            if anchor and cur.first_seq <= anchor[0] <= cur.last_seq:
                found_anchor = cur.last_hash if anchor[0] == cur.last_seq else "purged"
        else:
            w.row(cur, nx)
            if anchor and cur["seq"] == anchor[0]:
                found_anchor = cur["hash"]
        cur = nx
    w.finish()
    if anchor and found_anchor != "purged" and found_anchor != anchor[1]:
        w.problem("anchor", _("the anchored entry is missing or has another hash"), anchor[0])
    return res
