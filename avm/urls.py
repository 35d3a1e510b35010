"""Page routes of avm."""

urlpatterns: list = []
