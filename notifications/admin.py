from django.contrib import admin

from notifications.models import Delivery, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "key", "subject", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["key", "user__username"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "notification", "channel", "to", "attempts", "due_at", "sent_at", "given_up_at", "last_error"]
    list_filter = ["channel"]
