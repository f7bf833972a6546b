"""TOTP second factor (django-otp): required of operators on the console, of a CPTS's team and
admins when that CPTS requires it (apps.members.middleware), optional for everyone else. Whether
a CPTS's rule keeps an account's second factor on is asked through ``apps.accounts.hooks``.

An account without a confirmed device is first asked to enrol one (QR code + code check); an
account with one enters a code once per session. One device per account, valid on every host.
"Mon compte" (``/compte/securite/``) shows the state, enrols, and removes the device (a current
code required). API tokens are not affected.

Enrolling also gives ten single-use recovery codes (django-otp's static device), shown once: a lost
phone does not lock its owner out of a CPTS that requires the second factor. They can be renewed
with a current code; removing the second factor removes them too.
"""

from __future__ import annotations

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.access import authenticated

from .hooks import second_factor_reason

RECOVERY_CODES = 10
RECOVERY_SESSION_KEY = "two_factor_recovery_codes"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code à 6 chiffres de votre application d'authentification"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    tenant = getattr(request, "tenant", None)
    default = "/console/" if tenant is None or tenant.is_platform else reverse("accounts:security")
    target = request.POST.get("next") or request.GET.get("next") or default
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else default


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


class VerifyForm(TokenForm):
    token = forms.CharField(
        label=gettext_lazy("Code à 6 chiffres de votre application, ou un code de secours"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def new_recovery_codes(user) -> list[str]:
    """Replace the account's recovery codes with ten new ones; return them (to show once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _use_recovery_code(device: StaticDevice, token: str) -> bool:
    """Use up one recovery code. The DELETE decides, so two requests racing with the same code
    cannot both pass (django-otp's verify_token reads, then deletes)."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return False
    if StaticToken.objects.filter(device=device, token=token).delete()[0] == 1:
        device.throttle_reset()
        return True
    device.throttle_increment()
    return False


def _recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def _check(request, device: TOTPDevice, form: TokenForm, *, recovery: bool = False) -> bool:
    """Whether the form holds a current code of ``device`` (or, with ``recovery``, an unused
    recovery code, which is then used up); on success ``form.device`` is the device it matched."""
    if form.is_valid():
        token = form.cleaned_data["token"].replace(" ", "")
        # An app code has 6 digits; anything else is tried as a recovery code only: a wrong try
        # would slow the app's next code down (django-otp's throttling).
        app_code = len(token) == 6 and token.isdigit()
        spare = _recovery_device(request.user) if recovery and not app_code else None
        if spare is not None and _use_recovery_code(spare, token.lower()):
            form.device = spare
            return True
        if spare is None and device.verify_token(token):
            form.device = device
            return True
    form.add_error(
        "token",
        _(
            "Code incorrect ou expiré. Vérifiez l'heure de votre téléphone, patientez quelques "
            "secondes et réessayez."
        ),
    )
    return False


@authenticated
def enrol(request):
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(f"/compte/double-authentification/?next={_next_url(request)}")
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "Application d'authentification"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and _check(request, device, form):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        request.session[RECOVERY_SESSION_KEY] = new_recovery_codes(request.user)
        messages.success(request, _("Double authentification activée."))
        return redirect(f"{reverse('accounts:recovery_codes')}?next={_next_url(request)}")
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr": mark_safe(qr_svg(device.config_url)),  # noqa: S308 - an SVG we generate ourselves
            "secret": b32encode(device.bin_key).decode(),
            "next": _next_url(request),
        },
    )


@authenticated
def verify(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect(f"/compte/double-authentification/activer/?next={_next_url(request)}")
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and _check(request, device, form, recovery=True):
        otp_login(request, form.device)
        if isinstance(form.device, StaticDevice):
            left = form.device.token_set.count()
            messages.warning(
                request,
                _(
                    "Code de secours utilisé : il vous en reste %(left)d. Téléphone perdu ? "
                    "Remplacez-le depuis « Mon compte › Sécurité » (votre mot de passe sera demandé)."
                )
                % {"left": left},
            )
        return redirect(_next_url(request))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


class PasswordForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Mot de passe du compte"), widget=forms.PasswordInput)


@authenticated
def replace_phone(request):
    """A lost phone: a session that passed with a recovery code, and the password typed again,
    may drop the old app and enrol a new one (new recovery codes come with it)."""
    if not isinstance(getattr(request.user, "otp_device", None), StaticDevice):
        messages.error(
            request, _("Connectez-vous d'abord avec un code de secours pour remplacer votre téléphone.")
        )
        return redirect("accounts:security")
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.user.check_password(form.cleaned_data["password"]):
            TOTPDevice.objects.filter(user=request.user).delete()
            return redirect(f"{reverse('accounts:two_factor_enrol')}?next={_next_url(request)}")
        form.add_error("password", _("Mot de passe incorrect."))
    return render(request, "accounts/replace_phone.html", {"form": form, "next": _next_url(request)})


@authenticated
def recovery_codes(request):
    """The recovery codes just made (shown once), or new ones for a current code."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("accounts:security")
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and _check(request, device, form):
        codes = new_recovery_codes(request.user)
        messages.success(request, _("Nouveaux codes de secours : les anciens ne valent plus."))
    spare = _recovery_device(request.user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "left": spare.token_set.count() if spare else 0,
            "form": form,
            "next": _next_url(request),
        },
        status=400 if form.errors else 200,
    )


def _second_factor_required_here(request) -> str:
    """Why this account may not remove its second factor on this host ("" if it may)."""
    if request.user.is_operator and settings.OPERATOR_2FA_REQUIRED:
        return _("La console opérateur exige la double authentification.")
    # The CPTS's own rules (staff second factor here or in another of the account's CPTS: the
    # device is the account's, so removing it here removes it there too).
    return second_factor_reason(request)


@authenticated
def security(request):
    """Mon compte › sécurité: second factor on or off, for any account."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    spare = _recovery_device(request.user)
    return render(
        request,
        "accounts/security.html",
        {
            "device": device,
            "recovery_left": spare.token_set.count() if spare else 0,
            "form": TokenForm(),
            "required_reason": _second_factor_required_here(request),
        },
    )


@authenticated
@require_POST
def disable(request):
    """Remove the account's second factor: a current code proves the phone is at hand."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect("accounts:security")
    reason = _second_factor_required_here(request)
    form = TokenForm(request.POST)
    if reason:
        form.add_error(None, reason)
    elif _check(request, device, form):
        TOTPDevice.objects.filter(user=request.user).delete()
        StaticDevice.objects.filter(user=request.user).delete()
        messages.success(request, _("Double authentification désactivée."))
        return redirect("accounts:security")
    spare = _recovery_device(request.user)
    return render(
        request,
        "accounts/security.html",
        {
            "device": device,
            "recovery_left": spare.token_set.count() if spare else 0,
            "form": form,
            "required_reason": reason,
        },
        status=400,
    )
