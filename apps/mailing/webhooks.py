"""The mail providers' tracking webhooks we accept (django-anymail's views), on the platform host.

Public at the door (the provider calls them, nobody signs in): anymail checks the webhook secret
(HTTP basic auth, ``ANYMAIL_WEBHOOK_SECRET``) and, for providers that sign, the signature; a request
that fails is a 400 and stores nothing. Inbound mail is not accepted. The events are handled by
``apps.mailing.tracking``.
"""

from __future__ import annotations

from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView

from tenants.access import PUBLIC


class BrevoTracking(BrevoTrackingWebhookView):
    access = PUBLIC


class MailjetTracking(MailjetTrackingWebhookView):
    access = PUBLIC


class AmazonSESTracking(AmazonSESTrackingWebhookView):
    access = PUBLIC


class MailgunTracking(MailgunTrackingWebhookView):
    access = PUBLIC


class PostmarkTracking(PostmarkTrackingWebhookView):
    access = PUBLIC
