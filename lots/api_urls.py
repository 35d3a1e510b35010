"""API routes of lots, mounted under /api/v1/."""

urlpatterns: list = []
