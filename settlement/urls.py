"""Page routes of settlement."""

urlpatterns: list = []
