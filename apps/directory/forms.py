from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.professionals.models import Profession

from .models import Entry, Family, ListingRequest, Visibility

# The Annuaire Santé's profession codes, as the shared professional profile lists them.
PROFESSION_CHOICES = [
    ("", _("Toutes les professions")),
    *((code, label) for code, label in Profession.choices if code.isdigit()),
]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=200)
    family = forms.ChoiceField(
        label=_("Catégorie"), required=False, choices=[("", _("Toutes les catégories")), *Family.choices]
    )
    profession = forms.ChoiceField(label=_("Profession"), required=False, choices=PROFESSION_CHOICES)
    commune = forms.ChoiceField(label=_("Commune"), required=False, choices=[])
    new_patients = forms.BooleanField(label=_("Accepte de nouveaux patients"), required=False)

    def __init__(self, *args, communes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [("", _("Toutes les communes"))] + [
            (c.code, c.name) for c in communes
        ]
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Nom, profession, commune…"), "type": "search"}
        )


def _website_field():
    return forms.URLField(label=_("Site web"), required=False, assume_scheme="https")


class ListingRequestForm(forms.ModelForm):
    website = _website_field()
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by naive robots.
    fax_number = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)

    class Meta:
        model = ListingRequest
        fields = [
            "kind", "name", "profession", "identifier", "address", "postcode", "city", "phone", "website",
            "email", "message",
        ]  # fmt: skip
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError(_("Indiquez un code postal à 5 chiffres."))
        return value


class ImportForm(forms.Form):
    rpps_file = forms.FileField(
        label=_("Fichier de l'Annuaire Santé (professionnels)"),
        required=False,
        help_text=_("ps-libreacces-personne-activite.txt, tel que téléchargé (UTF-8 ou Windows-1252)."),
    )
    finess_file = forms.FileField(
        label=_("Fichier FINESS (établissements)"),
        required=False,
        help_text=_("etalab-cs1100507-stock-….csv, tel que téléchargé."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("rpps_file") and not data.get("finess_file"):
            raise forms.ValidationError(_("Choisissez au moins un fichier à importer."))
        return data


class EntryForm(forms.ModelForm):
    website = _website_field()
    languages_text = forms.CharField(
        label=_("Langues parlées"), required=False, help_text=_("Séparées par des virgules.")
    )
    address = forms.CharField(label=_("Adresse"), required=False, max_length=300)
    postcode = forms.CharField(label=_("Code postal"), required=False, max_length=10)
    city = forms.CharField(label=_("Ville"), required=False, max_length=200)
    phone = forms.CharField(label=_("Téléphone"), required=False, max_length=30)
    email = forms.EmailField(label=_("Adresse e-mail (visible des membres seulement)"), required=False)

    class Meta:
        model = Entry
        fields = [
            "kind", "family", "name", "profession", "specialty", "practice_mode", "accepts_new_patients",
            "website", "description", "visibility", "is_member", "members_note",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "members_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accepts_new_patients"].widget = forms.Select(
            choices=[("unknown", _("Non précisé")), ("true", _("Oui")), ("false", _("Non"))]
        )
        self.fields["visibility"].choices = Visibility.choices
        if self.instance.pk:
            self.fields["languages_text"].initial = ", ".join(self.instance.languages)
            place = self.instance.places.first()
            if place:
                for name in ("address", "postcode", "city", "phone", "email"):
                    self.fields[name].initial = getattr(place, name)

    def entry_changes(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["languages"] = [w.strip() for w in self.cleaned_data["languages_text"].split(",") if w.strip()]
        return data

    def place_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("address", "postcode", "city", "phone", "email")}


class ClaimantForm(forms.ModelForm):
    website = _website_field()
    languages_text = forms.CharField(
        label=_("Langues parlées"), required=False, help_text=_("Séparées par des virgules.")
    )

    class Meta:
        model = Entry
        fields = ["accepts_new_patients", "website", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accepts_new_patients"].widget = forms.Select(
            choices=[("unknown", _("Non précisé")), ("true", _("Oui")), ("false", _("Non"))]
        )
        self.fields["languages_text"].initial = ", ".join(self.instance.languages)

    def changes(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["languages"] = [w.strip() for w in self.cleaned_data["languages_text"].split(",") if w.strip()]
        return data


class ClaimRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Pourquoi cette fiche est-elle la vôtre ?"),
        help_text=_(
            "Dites à l'équipe qui vous êtes et où vous exercez (cabinet, adresse, téléphone où vous "
            "joindre) : elle vérifie chaque demande avant de vous confier la fiche."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Dites à l'équipe qui vous êtes et où vous exercez.")},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accepter")), ("reject", _("Refuser"))])
    note = forms.CharField(
        label=_("Message au demandeur (facultatif)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
