from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from apps.events.forms import DateTimeLocalInput
from apps.members.forms import AccountChoiceField
from apps.members.selectors import community_accounts

from .models import GroupDocument, Meeting, WorkingGroup

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def check_upload_size(upload) -> None:
    """Refuse files over 20 Mo (documents, receipts, evidence)."""
    if upload is not None and upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(
            _("Le fichier dépasse 20 Mo : réduisez-le ou déposez-en une version allégée.")
        )


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class GroupForm(forms.ModelForm):
    lead = AccountChoiceField(
        label=_("Animateur ou animatrice"), queryset=get_user_model().objects.none(), required=False
    )
    participants = MemberMultipleChoiceField(
        label=_("Participants"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Parmi les membres de la CPTS."),
    )

    class Meta:
        model = WorkingGroup
        fields = ["name", "description", "mission", "lead", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = community_accounts()
        self.fields["participants"].queryset = community_accounts()
        if self.instance.pk:
            self.initial.setdefault(
                "participants", list(self.instance.members.values_list("user_id", flat=True))
            )


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["starts_at", "location", "agenda", "minutes", "external_attendees"]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "agenda": forms.Textarea(attrs={"rows": 4}),
            "minutes": forms.Textarea(attrs={"rows": 8}),
        }


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Présents"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members=(), present_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (str(m.user_id), m.user.get_full_name() or m.user.email) for m in members
        ]
        self.initial.setdefault("present", [str(pk) for pk in present_ids])


class DocumentForm(forms.ModelForm):
    class Meta:
        model = GroupDocument
        fields = ["title", "file", "meeting"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        check_upload_size(upload)
        return upload

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            Meeting.objects.filter(group=group) if group else Meeting.objects.none()
        )
        self.fields["meeting"].required = False
