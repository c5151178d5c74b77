"""The audit log tables.

``AuditEntry`` rows form one hash chain: each row's ``hash`` is an HMAC-SHA256 over its contents and the
previous row's hash (``prev_hash``); ``seq`` is its gapless position in the chain. ``ChainHead`` (one row)
is the chain's tip, locked by every append; ``AuditArchive`` records a run of entries moved to a cold
archive file, so verification of what stays in the database starts from the archived tail hash.

Rows are never updated or deleted: database triggers (migration 0001) reject it, except for the deletion of
entries that an archive record covers. See docs/audit.md.
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("Seq"), unique=True)
    at = models.DateTimeField(_("Time"), db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True)  # not a foreign key: the log outlives users
    username = models.CharField(_("User"), max_length=150, blank=True, db_index=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)  # text, so the hashed form is kept as-is
    action = models.CharField(_("Action"), max_length=32, db_index=True)
    object_type = models.CharField(_("Object type"), max_length=100, blank=True)
    object_id = models.CharField(_("Object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("Object"), max_length=200, blank=True)
    before = models.TextField(_("Before"), blank=True)  # JSON text ("" when none), hashed as stored
    after = models.TextField(_("After"), blank=True)
    remark = models.TextField(_("Remark"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]
        verbose_name = verbose_name_plural = _("audit entry")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_repr}"


class ChainHead(models.Model):
    """The tip of the chain (always ``id=1``): the last seq and hash, with an HMAC of both so that a
    truncated tail cannot be hidden by rewriting the head. ``rebuilt_at`` is set (and stays set) if the
    head row ever had to be re-created while entries existed."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    rebuilt_at = models.CharField(max_length=40, blank=True)


class AuditArchive(models.Model):
    """A run of entries (``first_seq``..``last_seq``) moved to a gzip'd JSONL file in the archive directory."""

    file = models.CharField(max_length=200, unique=True)
    sha256 = models.CharField(max_length=64)
    count = models.BigIntegerField()
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    first_prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    archived_at = models.DateTimeField()
    purged_at = models.DateTimeField(null=True, blank=True)  # the file was deleted after the retention period
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["first_seq"]
