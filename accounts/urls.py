"""Page routes of accounts."""

urlpatterns: list = []
