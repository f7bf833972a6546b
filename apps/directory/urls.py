from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("annuaire/", views.directory, name="directory"),
    path("annuaire/<int:pk>/", views.entry_detail, name="entry"),
    path("annuaire/<int:pk>/revendiquer/", views.claim, name="claim"),
    path("annuaire/<int:pk>/ma-fiche/", views.edit_own, name="edit_own"),
    path("annuaire/referencement/", views.listing_request, name="listing_request"),
    path("annuaire/referencement/merci/", views.listing_thanks, name="listing_thanks"),
    path("equipe/annuaire/", views.team, name="team"),
    path("equipe/annuaire/imports/<int:pk>/", views.import_progress, name="import_progress"),
    path("equipe/annuaire/demandes/<int:pk>/", views.decide, name="decide"),
    path("equipe/annuaire/fiches/nouvelle/", views.edit_entry, name="new_entry"),
    path("equipe/annuaire/fiches/<int:pk>/", views.edit_entry, name="edit_entry"),
]
