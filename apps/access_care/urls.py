"""URLs of the médecin-traitant desk (included from cpts_platform/urls_tenant.py)."""

from django.urls import path

from . import views, views_gp

app_name = "access_care"
urlpatterns = [
    path("medecin-traitant/", views.request_form, name="request_form"),
    path("medecin-traitant/merci/", views.request_sent, name="request_sent"),
    path("acces-aux-soins/", views.queue, name="queue"),
    path("acces-aux-soins/nouvelle/", views.request_new, name="request_new"),
    path("acces-aux-soins/demandes/<int:pk>/", views.request_detail, name="request"),
    path("acces-aux-soins/demandes/<int:pk>/modifier/", views.request_edit, name="request_edit"),
    path("acces-aux-soins/demandes/<int:pk>/statut/", views.request_status, name="request_status"),
    path("acces-aux-soins/demandes/<int:pk>/proposer/", views.request_propose, name="request_propose"),
    path("acces-aux-soins/demandes/<int:pk>/courrier/", views.request_letter, name="request_letter"),
    path("acces-aux-soins/demandes/<int:pk>/export/", views.request_export, name="request_export"),
    path("acces-aux-soins/demandes/<int:pk>/effacer/", views.request_erase, name="request_erase"),
    path("acces-aux-soins/capacites/", views.capacity_board, name="capacity"),
    path("acces-aux-soins/reglages/", views.desk_settings, name="settings"),
    path("acces-aux-soins/autorisations/", views.permissions, name="permissions"),
    path("acces-aux-soins/journal/", views.access_log, name="access_log"),
    path("mon-espace/medecin-traitant/", views_gp.gp_space, name="gp_space"),
    path("mon-espace/medecin-traitant/propositions/<int:pk>/", views_gp.gp_proposal, name="gp_proposal"),
]
