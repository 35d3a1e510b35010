from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from auction_site import views
from auction_site.storage import serve_signed

APPS = ["accounts", "lots", "valuation", "avm", "bidding", "escrow", "transparency", "settlement", "notifications", "following"]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/testing/clock/", views.TestingClockView.as_view(), name="testing-clock"),
    path("healthz", views.healthz, name="healthz"),
]
urlpatterns += [path("api/v1/", include(f"{app}.api_urls")) for app in APPS]
urlpatterns += [path("", include(f"{app}.urls")) for app in APPS]

if not settings.MEDIA_USES_S3:
    # Embedded default only: local files stand in for the object store, behind signed, expiring URLs.
    urlpatterns.append(path("media/<path:path>", serve_signed))
