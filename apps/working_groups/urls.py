from django.urls import path

from . import views

app_name = "working_groups"
urlpatterns = [
    path("groupes-de-travail/", views.group_list, name="list"),
    path("groupes-de-travail/nouveau/", views.group_create, name="create"),
    path("groupes-de-travail/<int:pk>/", views.group_detail, name="detail"),
    path("groupes-de-travail/<int:pk>/modifier/", views.group_edit, name="edit"),
    path("groupes-de-travail/<int:pk>/rejoindre/", views.group_join, name="join"),
    path("groupes-de-travail/<int:pk>/quitter/", views.group_leave, name="leave"),
    path("groupes-de-travail/<int:pk>/reunions/nouvelle/", views.meeting_create, name="meeting_create"),
    path("groupes-de-travail/<int:pk>/reunions/<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path(
        "groupes-de-travail/<int:pk>/reunions/<int:meeting_id>/annuler/",
        views.meeting_cancel,
        name="meeting_cancel",
    ),
    path("groupes-de-travail/<int:pk>/documents/", views.document_upload, name="document_upload"),
    path(
        "groupes-de-travail/<int:pk>/documents/<int:document_id>/", views.document_download, name="document"
    ),
]
