"""Page routes of valuation."""

urlpatterns: list = []
