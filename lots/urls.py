"""Page routes of lots."""

urlpatterns: list = []
