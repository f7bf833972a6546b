"""The team's writes on campaigns. Every service checks its actor (team role here) and owns its
transaction; sending is published by name after commit (workers/campaigns.py).

Assumes the connection is set to the CPTS's schema.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.log import record
from apps.members.models import Role
from apps.members.permissions import require_role
from apps.richtext import clean_html
from tenants.queue import enqueue_on_commit

from . import segments, sending
from .models import Campaign, SenderSettings

EDITABLE_FIELDS = ("subject", "body", "sender_name", "reply_to")


def save_campaign(*, actor, campaign: Campaign | None, data: dict, audience: segments.Audience) -> Campaign:
    """Create (``campaign`` None) or update a draft or scheduled campaign. The body is reduced to
    the allowed HTML (nh3). Raises ValidationError when the campaign has already started."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(created_by=actor)
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if not campaign.is_editable:
                raise ValidationError(_("Cette campagne est déjà partie : elle ne peut plus être modifiée."))
        for name in EDITABLE_FIELDS:
            if name in data:
                setattr(campaign, name, data[name] or "")
        campaign.body = clean_html(campaign.body)
        campaign.audience = audience.as_dict()
        campaign.updated_at = timezone.now()
        campaign.save()
    return campaign


def schedule_campaign(*, actor, campaign: Campaign, at: datetime | None = None) -> Campaign:
    """Send ``campaign`` now (``at`` None) or at ``at``. Raises ValidationError for an empty
    audience, a time in the past or a campaign already sent or cancelled."""
    require_role(actor, Role.TEAM)
    now = timezone.now()
    if at is not None and at <= now:
        raise ValidationError({"scheduled_at": _("Choisissez une date et une heure à venir.")})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not campaign.is_editable:
            raise ValidationError(_("Cette campagne est déjà partie ou annulée."))
        if not campaign.subject.strip() or not campaign.body.strip():
            raise ValidationError(_("Écrivez un objet et un message avant l'envoi."))
        if segments.count(segments.Audience.from_dict(campaign.audience)) == 0:
            raise ValidationError(_("Ces critères ne sélectionnent personne : aucun envoi possible."))
        campaign.status = Campaign.Status.SCHEDULED
        campaign.scheduled_at = at or now
        campaign.scheduled_by = actor
        campaign.updated_at = now
        campaign.save(update_fields=["status", "scheduled_at", "scheduled_by", "updated_at"])
        if at is None:
            enqueue_on_commit("campaigns.start_campaign", connection.schema_name, campaign.pk)
    return campaign


def cancel_campaign(*, actor, campaign: Campaign) -> Campaign:
    """Cancel a campaign that has not started (draft or scheduled). Raises ValidationError once it
    is sending: messages already sent cannot be called back."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not campaign.is_editable:
            raise ValidationError(_("L'envoi a commencé : la campagne ne peut plus être annulée."))
        campaign.status = Campaign.Status.CANCELLED
        campaign.cancelled_at = timezone.now()
        campaign.save(update_fields=["status", "cancelled_at"])
    return campaign


def send_test(*, actor, campaign: Campaign) -> str:
    """Send the campaign to the actor's own address (marked [TEST]); returns that address."""
    require_role(actor, Role.TEAM)
    sending.send_test(campaign, connection.tenant, actor.email, actor.get_full_name())
    return actor.email


def save_sender(*, actor, sender_name: str, reply_to: str) -> SenderSettings:
    """The CPTS's default sender name and reply-to address for its campaigns. A change is written
    in the CPTS's audit log with the changed fields' old and new values; saving the same values
    again writes nothing."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        row = SenderSettings.load()
        new = {"sender_name": sender_name or "", "reply_to": reply_to or ""}
        changed = [field for field, value in new.items() if getattr(row, field) != value]
        if not changed:
            return row
        before = {field: getattr(row, field) for field in changed}
        for field in changed:
            setattr(row, field, new[field])
        row.save()
        record(actor, "campaigns.sender_changed", None, before=before, after={f: new[f] for f in changed})
    return row
