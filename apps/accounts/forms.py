from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from apps.mailing import mail


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Adresse e-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect."),
        "inactive": _("Ce compte est désactivé."),
    }


class NewAccountForm(forms.Form):
    """Create the global account of an invited person (e-mail comes from the invitation)."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    password1 = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        elif p1:
            user = get_user_model()(
                email=self.email, first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    def save(self):
        return get_user_model().objects.create_user(
            self.email,
            self.cleaned_data["password1"],
            first_name=self.cleaned_data["first_name"],
            last_name=self.cleaned_data["last_name"],
        )


class ExistingAccountForm(forms.Form):
    """The password of an existing account, checked through ``authenticate`` with the request so
    that login throttling counts a wrong one and holds this check back like the login page."""

    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        authenticated = authenticate(self.request, username=self.user.email, password=password)
        if authenticated is None or authenticated.pk != self.user.pk:
            raise forms.ValidationError(_("Mot de passe incorrect."))
        return password


class PlatformPasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail sent through the one mail path (the CPTS's name as sender,
    text and HTML, the suppression list)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # No key: each request is a new link (the old one stays valid until used or expired).
        mail.send(
            key=None,
            to=to_email,
            subject=mail.render_text(subject_template_name, context),
            template=email_template_name.removesuffix(".txt"),
            context=context,
            kind="accounts.password_reset",
        )
