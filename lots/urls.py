"""Page routes of lots: the public catalogue and lot pages, and the judge workbench under /court/."""

from django.urls import path, re_path

from lots import views, views_court
from lots.forms import MEDIA_ACTIONS, ROUND_ACTIONS

app_name = "lots"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("lots/<int:lot_id>/", views.lot_detail, name="lot"),
    path("court/", views_court.home, name="court-home"),
    path("court/cases/<int:case_id>/", views_court.case_detail, name="court-case"),
    path("court/cases/<int:case_id>/parties/link/", views_court.case_party_link, name="court-party-link"),
    path("court/cases/<int:case_id>/parties/<int:party_id>/unlink/", views_court.case_party_unlink, name="court-party-unlink"),
    path("court/cases/<int:case_id>/lots/new/", views_court.lot_create, name="court-lot-create"),
    path("court/lots/<int:lot_id>/", views_court.lot_workbench, name="court-lot"),
    path("court/lots/<int:lot_id>/edit/", views_court.lot_edit, name="court-lot-edit"),
    path("court/lots/<int:lot_id>/rounds/new/", views_court.round_create, name="court-round-create"),
    path("court/templates/", views_court.notice_templates, name="court-templates"),
    path("court/rounds/<int:round_id>/edit/", views_court.round_edit, name="court-round-edit"),
    path("court/rounds/<int:round_id>/preview/", views_court.round_preview, name="court-round-preview"),
    re_path(rf"^court/media/(?P<media_id>[0-9]+)/(?P<action>{'|'.join(sorted(MEDIA_ACTIONS))})/$", views_court.media_action,
            name="court-media-action"),
    # Only the judge's actions (lots.forms.ROUND_ACTIONS): other apps' pages under court/rounds/<id>/ pass by.
    re_path(rf"^court/rounds/(?P<round_id>[0-9]+)/(?P<action>{'|'.join(sorted(ROUND_ACTIONS))})/$", views_court.round_action,
            name="court-round-action"),
]
