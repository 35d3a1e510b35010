from django.urls import path

from following import views

app_name = "following"

urlpatterns = [
    path("lots/<int:lot_id>/watch/", views.watch, name="watch"),
    path("rounds/<int:round_id>/remind/", views.remind, name="remind"),
    path("me/watching/", views.watch_list, name="watch-list"),
    path("me/auctions/", views.my_auctions, name="my-auctions"),
]
