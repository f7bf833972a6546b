from django.urls import path

from . import webhooks

app_name = "anymail"

urlpatterns = [
    path("brevo/tracking/", webhooks.BrevoTracking.as_view(), name="brevo_tracking_webhook"),
    path("mailjet/tracking/", webhooks.MailjetTracking.as_view(), name="mailjet_tracking_webhook"),
    path("amazon_ses/tracking/", webhooks.AmazonSESTracking.as_view(), name="amazon_ses_tracking_webhook"),
    path("mailgun/tracking/", webhooks.MailgunTracking.as_view(), name="mailgun_tracking_webhook"),
    path("postmark/tracking/", webhooks.PostmarkTracking.as_view(), name="postmark_tracking_webhook"),
]
