"""Django admin for operators: accounts and the barred-identity list (A34)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import BarredIdentity, User


@admin.register(User)
class AccountAdmin(UserAdmin):
    list_display = ["username", "real_name", "role", "court", "id_kind", "is_active", "date_joined"]
    list_filter = ["role", "court", "is_active", "is_staff"]
    search_fields = ["username", "real_name", "id_number", "phone"]
    fieldsets = [*UserAdmin.fieldsets, ("平台 / Platform", {"fields": ["role", "real_name", "id_kind", "id_number", "phone", "court"]})]


@admin.register(BarredIdentity)
class BarredIdentityAdmin(admin.ModelAdmin):
    list_display = ["name", "id_number", "reason", "created_at"]
    search_fields = ["name", "id_number"]
