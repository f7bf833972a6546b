from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.audit.actions import ACTIONS
from apps.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    """Filters of the log page; every field optional. ``actor`` lists the accounts found in this
    schema's log (names read now: an anonymised account shows anonymised)."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.TypedChoiceField(label=_("Auteur"), required=False, coerce=int, empty_value=None)
    since = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label=_("Au (inclus)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Toutes les actions"))] + [
            (code, label) for code, label in sorted(ACTIONS.items(), key=lambda item: str(item[1]))
        ]
        actor_ids = AuditEvent.objects.exclude(actor_id=None).values_list("actor_id", flat=True).distinct()
        accounts = (
            get_user_model()
            .objects.filter(pk__in=list(actor_ids))
            .order_by("last_name", "first_name", "email")
        )
        self.fields["actor"].choices = [("", _("Tous les auteurs"))] + [
            (account.pk, account.get_full_name() or account.email) for account in accounts
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", _("La date de fin doit suivre la date de début."))
        return data

    def filters(self) -> dict:
        """Keyword arguments of ``apps.audit.log.list_events`` (dates as local-day bounds)."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        return {
            "action": data.get("action") or "",
            "actor_id": data.get("actor"),
            "since": datetime.combine(data["since"], time.min, zone) if data.get("since") else None,
            "until": datetime.combine(data["until"] + timedelta(days=1), time.min, zone)
            if data.get("until")
            else None,
        }
