from django.urls import path

from . import audit_views

app_name = "compliance"
urlpatterns = [
    path("equipe/journal/", audit_views.team_audit_log, name="team_audit_log"),
]
