from django.urls import path

from . import views

app_name = "health_projects"
urlpatterns = [
    path("projet-de-sante/", views.summary, name="summary"),
    path("projet-de-sante/complet/", views.full_view, name="full"),
    path("projet-de-sante/versions/", views.versions, name="versions"),
    path("projet-de-sante/versions/<int:number>/", views.edit_version, name="edit_version"),
    path("projet-de-sante/versions/<int:number>/soumettre/", views.submit, name="submit"),
    path("projet-de-sante/versions/<int:number>/valider/", views.validate, name="validate"),
    path("projet-de-sante/axes/<int:pk>/supprimer/", views.delete_axis, name="delete_axis"),
    path("projet-de-sante/actions/<int:pk>/", views.edit_action, name="edit_action"),
]
