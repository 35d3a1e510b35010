"""Page routes of accounts."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.SiteLoginView.as_view(), name="login"),
    path("accounts/logout/", views.SiteLogoutView.as_view(), name="logout"),
    path("accounts/register/", views.register, name="register"),
]
