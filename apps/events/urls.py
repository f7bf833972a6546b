from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("evenements/", views.event_list, name="list"),
    path("evenements/calendrier.ics", views.calendar_feed, name="feed"),
    path("evenements/agenda/", views.personal_feed_link, name="personal_feed_link"),
    path("evenements/agenda/<str:token>.ics", views.personal_feed, name="personal_feed"),
    path("evenements/nouveau/", views.event_create, name="create"),
    path("evenements/<int:pk>/", views.event_detail, name="detail"),
    path("evenements/<int:pk>.ics", views.event_ics, name="ics"),
    path("evenements/<int:pk>/inscription/", views.event_register, name="register"),
    path("evenements/<int:pk>/desinscription/", views.event_cancel, name="cancel"),
    path("evenements/<int:pk>/inscription-invite/", views.guest_register, name="guest_register"),
    path("evenements/<int:pk>/inscription-envoyee/", views.guest_registered, name="guest_registered"),
    path("evenements/invite/confirmer/<str:token>/", views.guest_confirm, name="guest_confirm"),
    path("evenements/invite/annuler/<str:token>/", views.guest_cancel, name="guest_cancel"),
    path("evenements/<int:pk>/paiement/", views.event_pay, name="pay"),
    path("evenements/paiement/<int:payment_id>/", views.event_payment_status, name="payment_status"),
    path(
        "evenements/paiement/<int:payment_id>/confirmer/", views.event_confirm_payment, name="confirm_payment"
    ),
    path("evenements/<int:pk>/modifier/", views.event_edit, name="edit"),
    path("evenements/<int:pk>/inscrits/", views.event_registrations, name="registrations"),
    path("evenements/<int:pk>/inscrits.csv", views.event_export, name="export"),
    path(
        "evenements/<int:pk>/inscrits/<int:registration_id>/annuler/",
        views.event_cancel_registration,
        name="cancel_registration",
    ),
]
