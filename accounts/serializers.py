"""Serializers of the accounts API (registration, token, me)."""

from rest_framework import serializers

from accounts.models import User
from accounts.services import mask_id_number
from auction_site.fields import StrictCharField, StrictRegexField


class RegisterSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, write_only=True, trim_whitespace=False)
    real_name = StrictCharField(max_length=200)
    id_number = StrictRegexField(r"^[0-9A-Za-z]{18}$", max_length=18)
    phone = StrictCharField(max_length=20, trim_whitespace=False)  # the exact form is the service's rule (invalid_phone)


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class AccountSerializer(serializers.ModelSerializer):
    """Your own account. The ID number is shown masked."""

    id_number = serializers.SerializerMethodField()
    court = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "role", "real_name", "id_kind", "id_number", "phone", "court"]

    def get_id_number(self, user) -> str:
        return mask_id_number(user.id_number)

    def get_court(self, user) -> str | None:
        return user.court.code if user.court_id else None


class RegisteredSerializer(AccountSerializer):
    token = serializers.SerializerMethodField()

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "token"]

    def get_token(self, user) -> str:
        return self.context.get("token", "")
