from django.urls import path

from . import audit_views, gdpr_views

app_name = "compliance"
urlpatterns = [
    path("equipe/journal/", audit_views.team_audit_log, name="team_audit_log"),
    path("equipe/effacements/", gdpr_views.team_erasure_requests, name="team_erasure_requests"),
    path("mon-espace/mes-donnees/", gdpr_views.my_data, name="my_data"),
    path("mon-espace/mes-donnees/archive/", gdpr_views.my_data_archive, name="my_data_archive"),
    path("mon-espace/mes-donnees/archive/<int:pk>/", gdpr_views.my_data_download, name="my_data_download"),
]
