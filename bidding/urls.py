"""Page routes of bidding."""

urlpatterns: list = []
