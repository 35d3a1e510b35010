"""Page routes of escrow."""

urlpatterns: list = []
