"""Forms of the desk: the public request, the team's entry, status, capacity, settings."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.geo.models import Commune
from apps.territory.selectors import list_territory_communes

from . import services
from .models import DECLARED_CRITERIA, DEFAULT_WEIGHTS, WAIT_MONTH, Criterion, PatientRequest
from .services import RequestData


def territory_choices() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in list_territory_communes()]


class CommuneField(forms.CharField):
    """An INSEE code or a commune name of the national reference (the territory check is the
    service's: an outside commune gets the French answer pointing elsewhere)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        text = value.strip()
        commune = Commune.objects.filter(code=text).first() or (
            Commune.objects.filter(name__iexact=text, is_current=True).order_by("-population").first()
        )
        if commune is None:
            raise forms.ValidationError(_("Commune inconnue : choisissez-la dans la liste."))
        return commune.code


class RequestForm(forms.Form):
    """The public form « Je cherche un médecin traitant ». ``website`` is a honeypot."""

    last_name = forms.CharField(label=_("Nom"), max_length=150)
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    commune = CommuneField(
        label=_("Commune de résidence"),
        max_length=100,
        help_text=_("Le nom de votre commune (ou son code INSEE)."),
    )
    address = forms.CharField(
        label=_("Adresse postale"), max_length=300, required=False, help_text=_("Pour recevoir un courrier.")
    )
    phone = forms.CharField(label=_("Téléphone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Adresse e-mail"), required=False)
    contact_by = forms.ChoiceField(
        label=_("Comment souhaitez-vous être prévenu ?"),
        choices=PatientRequest.ContactBy.choices,
        initial=PatientRequest.ContactBy.EMAIL,
        widget=forms.RadioSelect,
    )
    criteria = forms.MultipleChoiceField(
        label=_("Votre situation (facultatif)"),
        choices=[(c.value, c.label) for c in DECLARED_CRITERIA],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Ces informations nous aident à traiter d'abord les situations les plus urgentes."),
    )
    preferred_communes = forms.MultipleChoiceField(
        label=_("Communes où vous pouvez consulter (facultatif)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    helper = forms.CharField(
        label=_("Vous remplissez ce formulaire pour quelqu'un d'autre ?"),
        max_length=200,
        required=False,
        help_text=_("Votre nom et votre lien avec la personne (famille, CCAS, pharmacie, mairie…)."),
    )
    consent = forms.BooleanField(
        label=_(
            "J'accepte que la CPTS enregistre ces informations pour rechercher un médecin traitant, "
            "dans les conditions décrites ci-dessus."
        ),
        required=True,
        error_messages={"required": _("Votre accord est nécessaire pour que nous traitions la demande.")},
    )
    website = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_communes"].choices = territory_choices()
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["birth_date"].widget.attrs["autocomplete"] = "bday"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["commune"].widget.attrs["list"] = "communes-territoire"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def clean_commune(self):
        """The territory is checked here too, so the French answer comes with the form's other
        errors instead of after they are fixed (the service checks it again)."""
        code = self.cleaned_data["commune"]
        try:
            services.check_in_territory(code)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["commune"]) from error
        return code

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        if born > timezone.localdate() or born.year < 1900:
            raise forms.ValidationError(_("Vérifiez la date de naissance."))
        return born

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and not data.get("address"):
            raise forms.ValidationError(
                _("Laissez au moins un moyen de vous joindre : téléphone, e-mail ou adresse postale.")
            )
        if data.get("contact_by") == PatientRequest.ContactBy.EMAIL and not data.get("email"):
            self.add_error("email", _("Indiquez votre adresse e-mail pour être prévenu par e-mail."))
        if data.get("contact_by") == PatientRequest.ContactBy.LETTER and not data.get("address"):
            self.add_error("address", _("Indiquez votre adresse pour être prévenu par courrier."))
        return data

    def request_data(self) -> RequestData:
        data = self.cleaned_data
        return RequestData(
            last_name=data["last_name"],
            first_name=data["first_name"],
            birth_date=data["birth_date"],
            commune=data["commune"],
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            address=data.get("address", ""),
            helper=data.get("helper", ""),
            criteria=tuple(data.get("criteria", ())),
            preferred_communes=tuple(data.get("preferred_communes", ())),
            contact_by=data["contact_by"],
            notes=data.get("notes", ""),
        )


class TeamRequestForm(RequestForm):
    """The same request, taken by the team (phone, desk); the person's oral consent is ticked."""

    channel = forms.ChoiceField(
        label=_("Demande reçue par"),
        choices=[c for c in PatientRequest.Channel.choices if c[0] != PatientRequest.Channel.WEB],
    )
    notes = forms.CharField(
        label=_("Notes de l'équipe"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["website"]
        self.fields["consent"].label = _(
            "La personne a donné son accord oral après lecture de la mention d'information."
        )

    @classmethod
    def initial_from(cls, request: PatientRequest) -> dict:
        return {
            "last_name": request.last_name,
            "first_name": request.first_name,
            "birth_date": request.birth_date,
            "commune": request.commune,
            "address": request.address,
            "phone": request.phone,
            "email": request.email,
            "contact_by": request.contact_by,
            "criteria": request.criteria,
            "preferred_communes": request.preferred_communes,
            "helper": request.helper,
            "notes": request.notes,
            "channel": request.channel
            if request.channel != PatientRequest.Channel.WEB
            else PatientRequest.Channel.PHONE,
            "consent": bool(request.consent_at),
        }


class StatusForm(forms.Form):
    """A status change. Given the request's ``current`` status, it offers only the moves the
    service allows from there (``services.TRANSITIONS``), none preselected."""

    status = forms.ChoiceField(label=_("Nouveau statut"), choices=PatientRequest.Status.choices)
    close_reason = forms.ChoiceField(
        label=_("Motif de clôture (si « Close »)"),
        choices=[("", "—"), *PatientRequest.CloseReason.choices],
        required=False,
    )

    def __init__(self, *args, current: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if current is not None:
            allowed = services.TRANSITIONS.get(current, set())
            self.fields["status"].choices = [
                ("", _("— choisir —")),
                *((value, label) for value, label in PatientRequest.Status.choices if value in allowed),
            ]
            if PatientRequest.Status.CLOSED not in allowed:
                del self.fields["close_reason"]

    @property
    def has_moves(self) -> bool:
        return len(self.fields["status"].choices) > 1


class CapacityForm(forms.Form):
    places = forms.IntegerField(
        label=_("Nouveaux patients que je peux accepter ce trimestre"), min_value=0, max_value=500
    )
    groups = forms.MultipleChoiceField(
        label=_("Publics que j'accepte en priorité (facultatif)"),
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    communes = forms.MultipleChoiceField(
        label=_("Communes de résidence acceptées (aucune cochée : toutes)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    practice_commune = forms.ChoiceField(label=_("Commune du cabinet"))
    practice_name = forms.CharField(label=_("Cabinet (nom et adresse)"), max_length=200, required=False)
    practice_phone = forms.CharField(
        label=_("Téléphone du cabinet pour les patients"), max_length=20, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = territory_choices()
        self.fields["communes"].choices = choices
        self.fields["practice_commune"].choices = choices


class SettingsForm(forms.Form):
    retention_months = forms.IntegerField(
        label=_("Anonymiser les demandes closes après (mois)"), min_value=1, max_value=36
    )
    letter_subject = forms.CharField(
        label=_("Objet du message au patient"),
        max_length=200,
        help_text=_("Variables : {medecin} {cabinet} {telephone} {cpts} (jamais le nom du patient)"),
    )
    letter_body = forms.CharField(
        label=_("Message au patient (e-mail ou courrier)"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Variables : {prenom} {nom} {medecin} {cabinet} {telephone} {cpts} "
            "({cpts} se lit « la CPTS … » : écrivez « de {cpts} », pas « de la CPTS {cpts} »)"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in Criterion:
            self.fields[f"weight_{criterion.value}"] = forms.IntegerField(
                label=_("Poids : %(label)s") % {"label": criterion.label},
                min_value=0,
                max_value=1000,
                initial=DEFAULT_WEIGHTS[criterion.value],
            )
        self.fields[f"weight_{WAIT_MONTH}"] = forms.IntegerField(
            label=_("Poids : par mois d'attente"),
            min_value=0,
            max_value=1000,
            initial=DEFAULT_WEIGHTS[WAIT_MONTH],
            help_text=_("Ajouté chaque mois entier d'attente ; les priorités sont recalculées chaque nuit."),
        )

    def weights(self) -> dict:
        return {
            key: self.cleaned_data[f"weight_{key}"] for key in (*(c.value for c in Criterion), WAIT_MONTH)
        }

    def clean_letter_subject(self):
        subject = self.cleaned_data["letter_subject"]
        errors = services.template_errors(subject, services.SUBJECT_VARIABLES)
        if errors:
            raise forms.ValidationError(errors)
        return subject

    def clean_letter_body(self):
        body = self.cleaned_data["letter_body"]
        errors = services.template_errors(body, services.LETTER_VARIABLES)
        if errors:
            raise forms.ValidationError(errors)
        return body
