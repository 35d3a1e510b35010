"""The in-site inbox, the outbox of its e-mails and text messages, and each user's preferences (docs/notifications.md)."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One event told to one user: a row of their inbox (unless they chose not to see that kind there).

    `key` names the event (e.g. ``round:17:opened``): (user, key) is unique, so an event reaches a
    user once however often it is found."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)  # in Chinese; known kinds are shown again from `data` in the reader's language
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    in_inbox = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["user", "in_inbox", "read_at"], name="notification_unread")]


class Delivery(models.Model):
    """The outbox: one e-mail or text message of a notification, sent by the clock process after the commit."""

    class Channel(models.TextChoices):
        EMAIL = "email", "电子邮件"
        SMS = "sms", "短信"

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
        indexes = [models.Index(fields=["due_at"], name="delivery_unsent", condition=models.Q(sent_at__isnull=True, given_up_at__isnull=True))]


class Preference(models.Model):
    """Which kinds a user hears about, on which channels: {kind: ["inbox", "email", "sms"]}; a missing kind takes the default."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference")
    channels = models.JSONField(default=dict)
    updated_at = models.DateTimeField()
