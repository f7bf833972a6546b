from django import forms
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siren, siret

from apps.payments.models import OFFLINE_METHODS, PaymentMethod
from apps.professionals.models import Profession

from .models import Dues, DuesSettings, EligibilityCategory, Tier


class JoinForm(forms.Form):
    eligibility_category = forms.ChoiceField(
        label=_("Vous êtes"), choices=EligibilityCategory.choices, widget=forms.RadioSelect
    )
    tier = forms.ModelChoiceField(
        label=_("Formule d'adhésion"),
        queryset=Tier.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    consent = forms.BooleanField(
        label=_(
            "J'adhère aux statuts de la CPTS et j'accepte que mes données soient utilisées pour la "
            "gestion de mon adhésion."
        ),
        error_messages={"required": _("Vous devez accepter les conditions d'adhésion.")},
    )

    def __init__(self, *args, tiers, years: list[int] | None = None, paid_years=(), **kwargs):
        """``years``: the years this join may buy (``calendar.join_years``), the civil-year rule's
        first; with more than one the person picks the year (``year``, pre-selected from
        ``initial``; ``paid_years`` are labelled as paid). ``cleaned_data["year"]`` is the year
        picked, else the first one (None without ``years``)."""
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = tiers
        self.fields["tier"].label_from_instance = lambda t: f"{t.name} — {t.price} € TTC"
        self.years = years or []
        if len(self.years) > 1:
            self.fields["year"] = year_choice_field(self.years, paid_years=paid_years)


def year_choice_field(years: list[int], *, paid_years=()) -> forms.TypedChoiceField:
    """Radio buttons for the membership year, each saying the period it covers (and whether it
    is paid already)."""
    paid_label = _("%(year)s — du 1er janvier au 31 décembre %(year)s (déjà réglée)")
    open_label = _("%(year)s — du 1er janvier au 31 décembre %(year)s")
    labels = [(paid_label if year in paid_years else open_label) % {"year": year} for year in years]
    return forms.TypedChoiceField(
        label=_("Année d'adhésion"),
        choices=[(str(year), label) for year, label in zip(years, labels, strict=True)],
        coerce=str,
        widget=forms.RadioSelect,
        required=False,
        error_messages={
            "invalid_choice": _("Choisissez %(years)s.") % {"years": " ou ".join(str(year) for year in years)}
        },
    )

    def clean(self):
        data = super().clean()
        tier, category = data.get("tier"), data.get("eligibility_category")
        if tier and category and not tier.accepts(category):
            self.add_error("tier", _("Cette formule n'est pas ouverte à votre catégorie."))
        if "year" not in self.errors:
            picked = data.get("year")
            data["year"] = int(picked) if picked else (self.years[0] if self.years else None)
        return data


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class TierForm(forms.ModelForm):
    eligible_categories = forms.MultipleChoiceField(
        label=_("Catégories éligibles"),
        choices=EligibilityCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucune case cochée : ouverte à toutes les catégories."),
    )

    class Meta:
        model = Tier
        fields = [
            "name",
            "price",
            "description",
            "eligible_categories",
            "partner_perks",
            "order",
            "is_active",
        ]


class DuesSettingsForm(forms.ModelForm):
    reminder_offsets = forms.CharField(
        label=_("Relances (jours autour du 1er janvier)"),
        required=False,
        help_text=_("Séparées par des virgules, par exemple : -30, 0, 30."),
    )

    class Meta:
        model = DuesSettings
        fields = [
            "legal_name",
            "address",
            "legal_identifier",
            "vat_mention",
            "next_year_from_month",
            "next_year_from_day",
            "grace_days",
            "platform_fee_percent",
            "reminder_offsets",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty: no grace period (the lapse stays on 1 January).
        self.fields["grace_days"].required = False
        self.fields["next_year_from_month"].help_text = _(
            "Date de bascule : à partir de ce jour (mois et jour), une nouvelle adhésion vaut pour "
            "l'année suivante. Sans date de bascule, une adhésion vaut pour l'année civile en cours ; "
            "en novembre et décembre, la page d'adhésion dit alors que l'année se termine bientôt et "
            "propose aussi l'année suivante."
        )
        if self.instance and not self.is_bound:
            self.initial["reminder_offsets"] = ", ".join(str(o) for o in self.instance.reminder_offsets or [])

    def clean_grace_days(self):
        value = self.cleaned_data.get("grace_days")
        return 0 if value is None else value

    def clean_reminder_offsets(self):
        raw = self.cleaned_data.get("reminder_offsets") or ""
        try:
            values = sorted({int(part) for part in raw.replace(";", ",").split(",") if part.strip()})
        except ValueError as error:
            raise forms.ValidationError(
                _("Saisissez des nombres entiers séparés par des virgules.")
            ) from error
        if any(abs(v) > 180 for v in values):
            raise forms.ValidationError(_("Une relance doit tomber à moins de 180 jours du 1er janvier."))
        return values

    def clean_legal_identifier(self):
        value = (self.cleaned_data.get("legal_identifier") or "").replace(" ", "").upper()
        if not value:
            return value
        if value.startswith("W"):
            if len(value) != 10 or not value[1:].isdigit():
                raise forms.ValidationError(_("Un numéro RNA est un W suivi de 9 chiffres."))
        elif not (siren.is_valid(value) or siret.is_valid(value)):
            raise forms.ValidationError(_("Ce numéro SIREN ou SIRET est invalide."))
        return value

    def clean(self):
        data = super().clean()
        month, day = data.get("next_year_from_month"), data.get("next_year_from_day")
        if day and not month:
            self.add_error("next_year_from_month", _("Indiquez aussi le mois de bascule."))
        return data


class OfflinePaymentForm(forms.Form):
    year = forms.IntegerField(label=_("Année"), min_value=2000, max_value=2100)
    tier = forms.ModelChoiceField(label=_("Formule"), queryset=Tier.objects.all())
    method = forms.ChoiceField(
        label=_("Moyen de paiement"),
        choices=[(m.value, m.label) for m in PaymentMethod if m in OFFLINE_METHODS],
    )
    reference = forms.CharField(
        label=_("Référence (n° de chèque, de virement…)"), max_length=100, required=False
    )


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False)
    year = forms.IntegerField(label=_("Année"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(
        label=_("Cotisation"),
        required=False,
        choices=[("", _("Toutes")), *Dues.Status.choices, ("none", _("Aucune cotisation"))],
    )
    tier = forms.ModelChoiceField(
        label=_("Formule"), queryset=Tier.objects.all(), required=False, empty_label=_("Toutes")
    )
    profession = forms.ChoiceField(
        label=_("Profession"), required=False, choices=[("", _("Toutes")), *Profession.choices]
    )
