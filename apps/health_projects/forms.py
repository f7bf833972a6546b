from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from apps.members.forms import AccountChoiceField
from apps.members.selectors import community_accounts
from apps.working_groups.models import WorkingGroup

from .models import Action, Axis, ProjectVersion


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class NewVersionForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200, initial=_("Projet de santé"))
    based_on = forms.ModelChoiceField(
        label=_("Reprendre le contenu de"),
        queryset=ProjectVersion.objects.none(),
        required=False,
        empty_label=_("— Partir des quatre missions socles —"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["based_on"].queryset = ProjectVersion.objects.order_by("-number")


class VersionForm(forms.ModelForm):
    class Meta:
        model = ProjectVersion
        fields = ["title", "summary", "diagnosis"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "diagnosis": forms.Textarea(attrs={"rows": 8}),
        }


class ValidateForm(forms.Form):
    validated_on = forms.DateField(label=_("Date de validation"), widget=DateInput())
    validating_bodies = forms.CharField(
        label=_("Instances ayant validé"),
        max_length=300,
        help_text=_("Par exemple : ARS Occitanie, CPAM de l'Hérault."),
    )


class AxisForm(forms.ModelForm):
    class Meta:
        model = Axis
        fields = ["mission", "title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ActionForm(forms.ModelForm):
    owner = AccountChoiceField(label=_("Pilote"), queryset=get_user_model().objects.none(), required=False)

    class Meta:
        model = Action
        fields = [
            "axis",
            "title",
            "description",
            "owner",
            "working_group",
            "status",
            "start_date",
            "end_date",
            "budget",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "start_date": DateInput(),
            "end_date": DateInput(),
        }

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = community_accounts()
        self.fields["working_group"].queryset = WorkingGroup.objects.order_by("name")
        self.fields["axis"].queryset = (
            Axis.objects.filter(version=version) if version else Axis.objects.none()
        )
        self.fields["axis"].label = _("Axe")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("L'échéance doit suivre la date de début."))
        return cleaned
