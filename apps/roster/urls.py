from django.urls import path

from . import views

app_name = "roster"
urlpatterns = [
    path("soins-non-programmes/", views.public_points, name="public"),
    path("snp/mes-creneaux/", views.my_slots, name="my_slots"),
    path("snp/mes-creneaux/<int:pk>/supprimer/", views.slot_delete, name="slot_delete"),
    path("snp/mes-creneaux/sollicitations/", views.gap_preference, name="gap_preference"),
    path("snp/agenda/<str:token>.ics", views.feed, name="feed"),
    path("equipe/snp/", views.team_week, name="team_week"),
    path("equipe/snp/solliciter/", views.team_gap_request, name="team_gap_request"),
    path("equipe/snp/export.fhir.json", views.team_fhir, name="team_fhir"),
]
