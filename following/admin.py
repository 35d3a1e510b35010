from django.contrib import admin

from following.models import LotViews, Reminder, Watch


@admin.register(Watch)
class WatchAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "lot", "created_at"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "round", "created_at"]


@admin.register(LotViews)
class LotViewsAdmin(admin.ModelAdmin):
    list_display = ["lot", "count"]
