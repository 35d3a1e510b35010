"""API routes of settlement, mounted under /api/v1/."""

urlpatterns: list = []
