"""Shared records: the clock offset (test/demo mode) and the hash-chained audit trail."""

from django.db import models


class ClockOffset(models.Model):
    """Singleton row (id=1): seconds the test/demo clock runs ahead of real time."""

    offset_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="clock_offset_singleton")]


class AuditRecord(models.Model):
    """Append-only; each record holds the hash of the previous one (A29: kept, never deleted)."""

    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"
