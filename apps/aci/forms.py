from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.health_projects.forms import DateInput
from apps.missions import OPTIONAL_MISSIONS, MissionKind
from apps.working_groups.forms import check_upload_size

from .models import SIZE_CHOICES, ContractMission, Envelope, Indicator, Part, ReferenceGrid


class ContractForm(forms.Form):
    signed_on = forms.DateField(label=_("Date de signature"), widget=DateInput())
    grid = forms.ModelChoiceField(label=_("Grille de référence"), queryset=ReferenceGrid.objects.none())
    size_override = forms.TypedChoiceField(
        label=_("Taille retenue"),
        choices=[("", _("— Selon le territoire —"))] + SIZE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    optional_missions = forms.MultipleChoiceField(
        label=_("Missions optionnelles retenues"),
        choices=[(m.value, m.label) for m in OPTIONAL_MISSIONS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reference = forms.CharField(label=_("Référence du contrat"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = ReferenceGrid.objects.order_by("-valid_from")


class MissionForm(forms.ModelForm):
    class Meta:
        model = ContractMission
        fields = ["start_months", "full_months", "started_on", "deployed_on"]
        widgets = {"started_on": DateInput(), "deployed_on": DateInput()}


class OwnMissionForm(forms.Form):
    label = forms.CharField(label=_("Intitulé de la mission propre"), max_length=200)
    start_months = forms.IntegerField(label=_("Démarrage (mois après signature)"), min_value=0, max_value=60)
    full_months = forms.IntegerField(
        label=_("Déploiement complet (mois après signature)"), min_value=0, max_value=60
    )


def year_choices():
    this_year = timezone.localdate().year
    return [(y, str(y)) for y in range(this_year + 1, this_year - 6, -1)]


class FundingLineForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Année"), coerce=int, choices=year_choices)
    envelope = forms.ChoiceField(label=_("Enveloppe"), choices=Envelope.choices)
    part = forms.ChoiceField(label=_("Part"), choices=Part.choices)
    contracted_amount = forms.DecimalField(
        label=_("Montant contractualisé (€)"), min_value=0, decimal_places=2
    )


class PaymentForm(forms.Form):
    received_on = forms.DateField(label=_("Reçu le"), widget=DateInput(), initial=date.today)
    amount = forms.DecimalField(label=_("Montant (€)"), min_value=0, decimal_places=2)
    envelope = forms.ChoiceField(label=_("Enveloppe"), choices=Envelope.choices)
    part = forms.ChoiceField(label=_("Part"), choices=Part.choices)
    label = forms.CharField(label=_("Libellé"), max_length=200, required=False)


class SpendingForm(forms.Form):
    spent_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=date.today)
    amount = forms.DecimalField(label=_("Montant (€)"), min_value=0, decimal_places=2)
    envelope = forms.ChoiceField(label=_("Enveloppe"), choices=Envelope.choices)
    label = forms.CharField(label=_("Libellé"), max_length=200)
    supplier = forms.CharField(label=_("Bénéficiaire"), max_length=200, required=False)
    receipt = forms.FileField(label=_("Justificatif"), required=False, validators=[check_upload_size])


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["label", "mission", "nature", "unit", "baseline", "source", "aggregation", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mission"].choices = [("", _("— Général —"))] + list(MissionKind.choices)


class TargetForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Année"), coerce=int, choices=year_choices)
    target = forms.DecimalField(label=_("Cible"), decimal_places=2)


class ValueForm(forms.Form):
    period_start = forms.DateField(label=_("Début de période"), widget=DateInput())
    period_end = forms.DateField(label=_("Fin de période (incluse)"), widget=DateInput())
    value = forms.DecimalField(label=_("Valeur"), decimal_places=2)
    note = forms.CharField(label=_("Commentaire"), max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("La fin de période doit suivre son début."))
        return cleaned


class EvidenceForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    file = forms.FileField(label=_("Fichier"), validators=[check_upload_size])


class ReportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Année"), coerce=int, choices=lambda: year_choices()[1:])
