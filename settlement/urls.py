"""Page routes of settlement."""

from django.urls import path, re_path

from settlement import views, views_party

app_name = "settlement"

urlpatterns = [
    path("court/dashboard/", views.dashboard, name="dashboard"),
    path("court/dashboard.csv", views.dashboard_csv, name="dashboard-csv"),
    path("court/rounds/<int:pk>/settlement/", views.round_settlement, name="round-settlement"),
    re_path(r"^court/rounds/(?P<pk>[0-9]+)/balance/(?P<action>chase|default)/$", views.round_balance_action, name="round-balance-action"),
    path("rounds/<int:pk>/result/", views.round_result, name="round-result"),
    path("party/cases/<int:case_id>/", views_party.party_case, name="party-case"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/<str:court>/", views.statistics, name="court-statistics"),
]
