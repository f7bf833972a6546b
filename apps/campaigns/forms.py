"""The team's campaign forms: message, audience, schedule, sender."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.dues.models import Tier
from apps.events.models import Event
from apps.professionals.models import Profession
from apps.richtext import make_rich
from apps.working_groups.models import WorkingGroup

from .models import Campaign, SenderSettings
from .segments import Audience, Source, StandingFilter


class CampaignForm(forms.ModelForm):
    """Subject, message (the site's rich-text editor, sanitised by nh3 in the service) and sender."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "body")

    class Meta:
        model = Campaign
        fields = ["subject", "body", "sender_name", "reply_to"]
        help_texts = {
            "sender_name": _("Vide : le nom choisi dans les réglages d'expéditeur, sinon celui de la CPTS."),
            "reply_to": _("Vide : l'adresse de réponse des réglages d'expéditeur."),
        }


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class AudienceForm(forms.Form):
    """The audience of a campaign. Its fields are those of ``segments.Audience``."""

    source = forms.ChoiceField(
        label=_("Destinataires"),
        choices=[
            (Source.MEMBERS, _("Membres de la CPTS")),
            (Source.DIRECTORY, _("Professionnels de l'annuaire qui ont accepté nos e-mails")),
        ],
        initial=Source.MEMBERS,
    )
    standing = forms.ChoiceField(
        label=_("Cotisation"),
        required=False,
        choices=[
            (StandingFilter.ANY, _("Tous les membres")),
            (StandingFilter.GOOD, _("Membres à jour de cotisation")),
            (StandingFilter.NOT_GOOD, _("Membres pas à jour (en attente ou échue)")),
        ],
    )
    year = forms.TypedChoiceField(
        label=_("Cotisation réglée pour l'année"), required=False, coerce=int, empty_value=None
    )
    tier = forms.TypedChoiceField(label=_("Formule d'adhésion"), required=False, coerce=int, empty_value=None)
    profession = forms.ChoiceField(label=_("Profession"), required=False)
    commune = forms.CharField(label=_("Commune ou code postal"), required=False, max_length=120)
    working_group = forms.TypedChoiceField(
        label=_("Groupe de travail"), required=False, coerce=int, empty_value=None
    )
    event = forms.TypedChoiceField(
        label=_("Inscrits à l'événement"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        any_choice = [("", _("Indifférent"))]
        self.fields["year"].choices = any_choice + [
            (y, str(y)) for y in range(this_year + 1, this_year - 4, -1)
        ]
        self.fields["tier"].choices = any_choice + [
            (t.pk, t.name) for t in Tier.objects.order_by("order", "pk")
        ]
        self.fields["profession"].choices = any_choice + list(Profession.choices)
        self.fields["working_group"].choices = any_choice + [
            (g.pk, g.name) for g in WorkingGroup.objects.filter(is_active=True).order_by("name")
        ]
        self.fields["event"].choices = any_choice + [
            (e.pk, f"{e.title} ({timezone.localtime(e.starts_at):%d/%m/%Y})")
            for e in Event.objects.exclude(status=Event.Status.DRAFT).order_by("-starts_at")[:50]
        ]

    def audience(self) -> Audience:
        data = self.cleaned_data
        return Audience(
            source=data.get("source") or Source.MEMBERS,
            standing=data.get("standing") or "",
            year=_optional_int(data.get("year")),
            tier=_optional_int(data.get("tier")),
            profession=data.get("profession") or "",
            commune=(data.get("commune") or "").strip(),
            working_group=_optional_int(data.get("working_group")),
            event=_optional_int(data.get("event")),
        )


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date et heure d'envoi"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
    )


class SenderForm(forms.ModelForm):
    class Meta:
        model = SenderSettings
        fields = ["sender_name", "reply_to"]


class OptInForm(forms.Form):
    """A directory professional asks to hear from the CPTS. ``website`` is a honeypot: hidden from
    people, filled by robots."""

    email = forms.EmailField(label=_("Votre adresse e-mail professionnelle"))
    consent = forms.BooleanField(
        label=_(
            "J'accepte de recevoir par e-mail les messages de la CPTS (je peux me désabonner à tout moment)."
        ),
        error_messages={"required": _("Cochez cette case pour recevoir les messages de la CPTS.")},
    )
    website = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
