"""API routes of avm."""

urlpatterns: list = []
