"""Websocket routes (issue 5 adds the round consumer)."""

websocket_urlpatterns: list = []
