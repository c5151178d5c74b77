"""API tokens for integrations (the browser uses the session)."""
import hashlib
import secrets

from django.conf import settings
from django.db import models


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="api_tokens", on_delete=models.CASCADE)
    name = models.CharField("名称", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    @classmethod
    def issue(cls, user, name="integration") -> tuple["ApiToken", str]:
        raw = "sb_" + secrets.token_urlsafe(32)
        tok = cls.objects.create(user=user, name=name, key_hash=hash_token(raw), prefix=raw[:8])
        return tok, raw
