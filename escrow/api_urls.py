"""API routes of escrow, mounted under /api/v1/."""

urlpatterns: list = []
