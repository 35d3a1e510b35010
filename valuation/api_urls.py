"""API routes of valuation, mounted under /api/v1/."""

urlpatterns: list = []
