"""Search the audit log — the database and, on request, the archive files — by user, action, object and
time. ``Results`` behaves like a sequence (newest first), so Django's Paginator pages over both parts:
archived entries are always older than those still in the database."""
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from .archive import iter_archived
from .chain import parse_at
from .models import AuditEntry


@dataclass
class Filters:
    user: str = ""  # username (case-insensitive)
    action: str = ""
    object: str = ""  # "type:id", "type" (app.model) or text in the object's name / id
    start: dt.datetime | None = None  # inclusive
    end: dt.datetime | None = None  # exclusive
    archived: bool = False  # also search the archive files

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in (("user", self.user), ("action", self.action), ("object", self.object)) if v]
        if self.start:
            parts.append(f"from={timezone.localtime(self.start):%Y-%m-%d %H:%M}")
        if self.end:
            parts.append(f"to<{timezone.localtime(self.end):%Y-%m-%d %H:%M}")
        if self.archived:
            parts.append("archived")
        return " ".join(parts)


def day_start(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


def parse_when(s: str, *, end: bool = False) -> dt.datetime:
    """'YYYY-MM-DD' (a whole day: ``end`` gives the next midnight) or 'YYYY-MM-DDTHH:MM[:SS]' in local time.
    Raises ValueError."""
    s = (s or "").strip()
    if len(s) == 10:
        d = dt.date.fromisoformat(s)
        return day_start(d + dt.timedelta(days=1)) if end else day_start(d)
    t = dt.datetime.fromisoformat(s)
    return t if timezone.is_aware(t) else timezone.make_aware(t)


def _object_parts(obj: str):
    obj = obj.strip()
    if ":" in obj:
        t, _, i = obj.partition(":")
        return "exact", t.strip().lower(), i.strip()
    if "." in obj and " " not in obj and obj.replace(".", "").replace("_", "").isalnum() and obj == obj.lower():
        return "type", obj, ""
    return "text", obj, ""


def queryset(f: Filters):
    qs = AuditEntry.objects.all()
    if f.user:
        qs = qs.filter(username__iexact=f.user.strip())
    if f.action:
        qs = qs.filter(action=f.action.strip())
    if f.object.strip():
        how, a, b = _object_parts(f.object)
        if how == "exact":
            qs = qs.filter(object_type=a, object_id=b)
        elif how == "type":
            qs = qs.filter(object_type=a)
        else:
            qs = qs.filter(Q(object_repr__icontains=a) | Q(object_id=a))
    if f.start:
        qs = qs.filter(at__gte=f.start)
    if f.end:
        qs = qs.filter(at__lt=f.end)
    return qs


def matches(row: dict, f: Filters) -> bool:
    if f.user and row["username"].lower() != f.user.strip().lower():
        return False
    if f.action and row["action"] != f.action.strip():
        return False
    if f.object.strip():
        how, a, b = _object_parts(f.object)
        if how == "exact" and (row["object_type"] != a or row["object_id"] != b):
            return False
        if how == "type" and row["object_type"] != a:
            return False
        if how == "text" and a.lower() not in row["object_repr"].lower() and row["object_id"] != a:
            return False
    at = row["at"] if isinstance(row["at"], dt.datetime) else parse_at(row["at"])
    if f.start and at < f.start:
        return False
    if f.end and at >= f.end:
        return False
    return True


def entry_from_row(row: dict) -> AuditEntry:
    e = AuditEntry(**{k: v for k, v in row.items() if k not in ("where", "at", "id")}, at=parse_at(row["at"]))
    e.archived = True
    e.archive_file = row.get("where", "").split(":")[0]
    return e


class Results:
    """Matching entries, newest first: the database's, then (``Filters.archived``) the archive files'."""

    def __init__(self, f: Filters):
        self.f = f
        self.qs = queryset(f).order_by("-seq")
        self._archived = None
        self._db_count = None

    def archived(self) -> list[AuditEntry]:
        if self._archived is None:
            rows = [r for r in iter_archived(self.f.start, self.f.end) if matches(r, self.f)] if self.f.archived else []
            self._archived = [entry_from_row(r) for r in reversed(rows)]
        return self._archived

    def db_count(self) -> int:
        if self._db_count is None:
            self._db_count = self.qs.count()
        return self._db_count

    def count(self) -> int:
        return self.db_count() + len(self.archived())

    def __len__(self):
        return self.count()

    def __getitem__(self, k):
        if isinstance(k, int):
            got = self[k:k + 1]
            if not got:
                raise IndexError(k)
            return got[0]
        start, stop = k.start or 0, k.stop if k.stop is not None else self.count()
        n = self.db_count()
        out = list(self.qs[start:min(stop, n)]) if start < n else []
        if stop > n:
            out += self.archived()[max(start - n, 0):stop - n]
        return out

    def __iter__(self):
        yield from self.qs.iterator(chunk_size=2000)
        yield from self.archived()
