"""Websocket routes: `/ws/rounds/{id}/` (ARCHITECTURE.md, websocket contract)."""

from django.urls import re_path

from bidding.consumers import RoundConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/rounds/(?P<round_id>[0-9]{1,18})/$", RoundConsumer.as_asgi()),
]
