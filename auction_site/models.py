"""Shared records: the clock offset (test/demo mode) and the hash-chained audit trail."""

from django.db import models


class ClockOffset(models.Model):
    """Singleton row (id=1): seconds the test/demo clock runs ahead of real time."""

    offset_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="clock_offset_singleton")]


class AuditRecord(models.Model):
    """Append-only (A29: kept, never deleted). Each aggregate has its own chain (`chain` = its key,
    e.g. `lots.round:17`); a record holds its position in that chain and the previous record's hash."""

    chain = models.CharField(max_length=100)
    position = models.BigIntegerField()
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            # One record per place in a chain: a chain can never fork.
            models.UniqueConstraint(fields=["chain", "position"], name="audit_one_record_per_position"),
            models.CheckConstraint(condition=models.Q(position__gte=1), name="audit_position_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"
