from django.urls import path

from . import views

app_name = "aci"
urlpatterns = [
    path("aci/", views.cockpit, name="cockpit"),
    path("aci/contrat/", views.contract, name="contract"),
    path("aci/missions/<int:pk>/", views.mission_edit, name="mission"),
    path("aci/finances/", views.finances, name="finances"),
    path("aci/finances/<str:kind>/<int:pk>/supprimer/", views.entry_delete, name="entry_delete"),
    path("aci/missions/propre/", views.own_mission, name="own_mission"),
    path("aci/grille/", views.grid, name="grid"),
    path("aci/indicateurs/", views.indicator_list, name="indicators"),
    path("aci/indicateurs/nouveau/", views.indicator_create, name="indicator_create"),
    path("aci/indicateurs/<int:pk>/", views.indicator_detail, name="indicator"),
    path(
        "aci/indicateurs/<int:pk>/justificatifs/<int:evidence_id>/", views.evidence_download, name="evidence"
    ),
    path("aci/rapports/", views.report_request, name="report_request"),
    path("aci/rapports/liste/", views.report_list, name="report_list"),
    path("aci/rapports/<int:pk>/<str:fmt>/", views.report_download, name="report_download"),
]
