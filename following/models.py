"""What a user follows: lots on their watch list (关注), reminders before bidding opens (设置提醒), and page views (围观)."""

from django.conf import settings
from django.db import models


class Watch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["lot", "user"], name="watch_once_per_lot")]
        indexes = [models.Index(fields=["user", "-created_at"], name="watch_by_user")]


class Reminder(models.Model):
    """设置提醒: tell the user before this round's bidding opens (following.rules.REMINDER_LEAD)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    round = models.ForeignKey("lots.Round", on_delete=models.CASCADE, related_name="reminders")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="reminder_once_per_round")]
        indexes = [models.Index(fields=["user"], name="reminder_by_user")]


class LotViews(models.Model):
    """围观次数 of a lot page: counted in Redis per view and added here by the clock (no write per page view)."""

    lot = models.OneToOneField("lots.Lot", on_delete=models.CASCADE, primary_key=True, related_name="view_count")
    count = models.BigIntegerField(default=0)
