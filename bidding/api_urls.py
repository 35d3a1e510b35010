"""API routes of bidding, mounted under /api/v1/."""

urlpatterns: list = []
