"""Idempotency keys for REST writes (design: "idempotency keys on every write").

A client sends ``Idempotency-Key: <key>`` with a write. The first successful (2xx) response is stored with
a fingerprint of the request (method, path, body); the same key with the same request gets that response
again, the same key with another request is ``invalid_value``. Rejected requests (4xx) are not stored:
they wrote nothing, so a retry simply runs again.
"""
from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, default="application/json; charset=utf-8")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("user", "key")]
        verbose_name = verbose_name_plural = "幂等键"

    def __str__(self):
        return f"{self.key} {self.method} {self.path}"
