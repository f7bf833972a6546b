"""Pages of dues: joining and paying (members), back-office (team), settings (admin)."""

from __future__ import annotations

import csv
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.signup import TooManySignupEmails, send_signup_email
from apps.audit.log import record
from apps.members.models import Membership, Role
from apps.members.permissions import check_role, role_required
from apps.payments import card, receipts
from apps.payments import services as payment_services
from apps.payments.models import Payment
from apps.payments.views import card_confirm_view, card_form_context, payment_page_state
from apps.professionals.forms import ProfessionalProfileForm
from apps.professionals.selectors import get_profile
from apps.professionals.services import save_profile
from apps.stripe_gateway import connect
from apps.stripe_gateway.client import StripeUnavailable
from tenants.access import authenticated, public
from tenants.selectors import current_community
from tenants.storage import file_response

from . import autorenew, selectors, services
from .calendar import days_left_in_year, join_years, paris_today
from .forms import DuesSettingsForm, JoinForm, MemberFilterForm, OfflinePaymentForm, SignUpForm, TierForm
from .models import Dues, DuesSettings, Tier

logger = logging.getLogger(__name__)


# ---- Joining and paying (members) -------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def join(request):
    tiers = selectors.list_active_tiers()
    years = join_years(DuesSettings.load())
    context = {
        "tiers": tiers,
        "year": years[0],
        "years": years,
        "days_left": days_left_in_year(),
        "card_available": connect.card_payments_available(current_community()),
    }
    if not request.user.is_authenticated:
        return render(request, "dues/join_anonymous.html", context)
    current = selectors.get_dues_for(request.membership, years[0])
    # The first year not paid yet is pre-selected (in December, once this year is paid: the next).
    paid = selectors.paid_years(request.membership, years)
    first_open = next((y for y in years if y not in paid), years[0])
    profile = get_profile(request.user)
    profile_form = ProfessionalProfileForm(request.POST or None, instance=profile, prefix="profile")
    join_form = JoinForm(
        request.POST or None,
        tiers=tiers,
        years=years,
        paid_years=paid,
        prefix="join",
        initial={
            "eligibility_category": getattr(request.membership, "eligibility_category", "") or None,
            "year": str(first_open),
        },
    )
    if request.method == "POST" and profile_form.is_valid() and join_form.is_valid():
        save_profile(actor=request.user, user=request.user, data=profile_form.cleaned_data)
        try:
            dues = services.join(
                actor=request.user,
                tier=join_form.cleaned_data["tier"],
                eligibility_category=join_form.cleaned_data["eligibility_category"],
                consent=join_form.cleaned_data["consent"],
                year=join_form.cleaned_data["year"],
            )
        except ValidationError as error:
            join_form.add_error(None, error)
        else:
            if profile_form.adeli_warning:
                messages.warning(request, _("La clé de votre numéro ADELI semble incorrecte : vérifiez-le."))
            return redirect("dues:pay", dues_id=dues.pk)
    context.update(
        {
            "profile_form": profile_form,
            "join_form": join_form,
            "current": current,
            "has_profile": bool(profile),
            "year": first_open,
        }
    )
    return render(request, "dues/join.html", context)


@require_http_methods(["GET", "POST"])
@authenticated
def renew(request):
    """One-click renewal: same tier and category as the last year paid, then payment. Only for a
    year ``selectors.renewal_years`` offers (an earlier year paid, this one not)."""
    years = join_years(DuesSettings.load())
    renewable = selectors.renewal_years(request.membership, years)
    if not renewable:
        if selectors.paid_years(request.membership, years):
            messages.info(request, _("Votre cotisation %(year)s est déjà réglée.") % {"year": years[-1]})
            return redirect("members:member_space")
        return redirect("dues:join")
    wanted = request.POST.get("year") if request.method == "POST" else request.GET.get("annee")
    year = int(wanted) if wanted in {str(y) for y in renewable} else renewable[0]
    last = selectors.last_paid_dues(request.membership, before=year)
    if request.method == "POST":
        if wanted and wanted != str(year):
            messages.error(request, _("Choisissez %(years)s.") % {"years": " ou ".join(map(str, renewable))})
            return redirect("dues:renew")
        try:
            dues = services.join(
                actor=request.user,
                tier=last.tier,
                eligibility_category=request.membership.eligibility_category,
                consent=True,
                year=year,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("dues:join")
        return redirect("dues:pay", dues_id=dues.pk)
    return render(
        request,
        "dues/renew.html",
        {"last": last, "year": year, "years": renewable, "days_left": days_left_in_year()},
    )


@public
@require_http_methods(["GET", "POST"])
def signup(request):
    """Account step of the join page: the e-mail only. Every address gets the same answer and
    continues by e-mail (apps/accounts/signup.py), so the page does not reveal who has an account."""
    if request.user.is_authenticated:
        return redirect("dues:join")
    email_form = SignUpForm(request.POST or None, prefix="email")
    sent_to = None
    if request.method == "POST" and email_form.is_valid():
        email = email_form.cleaned_data["email"].lower()
        try:
            send_signup_email(request, email, next_url=reverse("dues:join"))
        except TooManySignupEmails:
            email_form.add_error(
                "email",
                _(
                    "Trop de demandes en peu de temps : réessayez dans une heure, ou connectez-vous si vous avez un compte."
                ),
            )
        else:
            sent_to = email
    return render(
        request,
        "dues/signup.html",
        {
            "email_form": email_form,
            "sent_to": sent_to,
            "login_url": f"{reverse('accounts:login')}?next={reverse('dues:join')}",
        },
    )


@authenticated
def pay(request, dues_id: int):
    dues = selectors.access_dues(request.user, dues_id)
    if dues.status == Dues.Status.ACTIVE:
        messages.info(request, _("Votre cotisation %(year)s est réglée.") % {"year": dues.year})
        return redirect("members:member_space")
    context = {"dues": dues, "card_available": False}
    if connect.card_payments_available(current_community()):
        try:
            payment = card.start_card_payment(actor=request.user, dues=dues)
        except card.PaymentInProgress as in_progress:
            return redirect("dues:payment_status", payment_id=in_progress.payment.pk)
        except (card.CardPaymentUnavailable, StripeUnavailable):
            payment = None
        except stripe.StripeError:
            logger.exception("could not open a PaymentIntent for dues %s", dues.pk)
            messages.error(
                request, _("Le paiement par carte est momentanément indisponible : réessayez plus tard.")
            )
            payment = None
        if payment is not None:
            context.update(
                card_form_context(
                    payment, confirm_route="dues:confirm_payment", status_route="dues:payment_status"
                )
            )
    return render(request, "dues/pay.html", context)


# JSON for the card form: confirm with the payment method Stripe.js collected.
confirm_payment = card_confirm_view(
    selectors.access_payment, confirm_route="dues:confirm_payment", status_route="dues:payment_status"
)


@authenticated
def payment_status(request, payment_id: int):
    payment = selectors.access_payment(request.user, payment_id)
    template = "dues/_payment_status.html" if request.htmx else "dues/payment_status.html"
    return render(
        request, template, {"payment": payment, "dues": payment.dues, **payment_page_state(payment)}
    )


@authenticated
def receipt_pdf(request, receipt_id: int):
    """A receipt, for its payer (a member, or someone who paid a public event without being a
    member) or for the team; 404 for anyone else."""
    receipt = selectors.access_receipt(request.user, request.membership, receipt_id)
    receipts.ensure_pdf(receipt)
    return file_response(receipt.pdf.name, content_type="application/pdf", filename=f"{receipt.number}.pdf")


@role_required(Role.MEMBER, candidates=True)
def everywhere(request):
    """« Mes CPTS »: every membership of the account, its dues and receipts, in each of its CPTS
    (read in each schema for this account only, through the public index of its CPTS), with links
    that carry the session across by hand-off (apps/accounts/handoff.py)."""
    here = request.tenant.pk
    rows = []
    for row in selectors.memberships_everywhere(request.user):
        schema = row["community"].schema_name
        is_here = row["community"].pk == here
        start = reverse("accounts:handoff_start", args=[schema])

        def link(path: str, *, is_here: bool = is_here, start: str = start) -> str:
            return path if is_here else f"{start}?{urlencode({'suite': path})}"

        for dues in row["dues"]:
            dues["pay_url"] = (
                link(reverse("dues:pay", args=[dues["pk"]])) if dues["status"] == "pending" else ""
            )
            for receipt in dues["receipts"]:
                receipt["url"] = link(reverse("dues:receipt_pdf", args=[receipt["pk"]]))
        rows.append({**row, "is_here": is_here, "space_url": link(reverse("members:member_space"))})
    return render(request, "dues/everywhere.html", {"rows": rows})


@role_required(Role.MEMBER, candidates=True)
@require_POST
def auto_renew(request):
    if request.POST.get("enabled") == "1":
        return redirect("dues:card_setup")
    autorenew.disable(actor=request.user, membership=request.membership)
    messages.success(request, _("Renouvellement automatique désactivé ; la carte enregistrée est oubliée."))
    return redirect("members:member_space")


@role_required(Role.MEMBER, candidates=True)
@require_http_methods(["GET", "POST"])
def card_setup(request):
    """Save a card for the automatic renewal (SetupIntent confirmed by Stripe.js)."""
    if request.method == "POST":
        try:
            autorenew.complete_card_setup(
                actor=request.user,
                membership=request.membership,
                setup_intent_id=request.POST.get("setup_intent", ""),
            )
        except ValidationError as error:
            return JsonResponse({"ok": False, "error": " ".join(error.messages)}, status=400)
        messages.success(
            request,
            _(
                "Carte enregistrée : votre adhésion sera renouvelée automatiquement le 1er janvier, après un préavis."
            ),
        )
        return JsonResponse({"ok": True, "redirect": reverse("members:member_space")})
    try:
        secret = autorenew.start_card_setup(actor=request.user, membership=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("members:member_space")
    return render(
        request,
        "dues/card_setup.html",
        {
            "client_secret": secret,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "tier": selectors.get_dues_for(request.membership, paris_today().year),
        },
    )


# ---- Team back-office --------------------------------------------------------------------------


def _filters(request):
    form = MemberFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    year = data.get("year") or paris_today().year
    tier = data.get("tier")
    return form, {
        "year": year,
        "q": data.get("q") or "",
        "status": data.get("status") or "",
        "tier": str(tier.pk) if tier else "",
        "profession": data.get("profession") or "",
    }


@role_required(Role.TEAM)
def team_members(request):
    form, filters = _filters(request)
    members = selectors.attach_profiles(selectors.list_members(**filters))
    if request.GET.get("export") == "csv":
        members = list(members)
        record(request.user, "members.exported", None, year=filters["year"], rows=len(members))
        return _members_csv(members, filters["year"])
    return render(
        request, "dues/team_members.html", {"form": form, "members": members, "year": filters["year"]}
    )


def _members_csv(members, year: int) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="adherents-{year}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        ["Nom", "Prénom", "E-mail", "Profession", "RPPS/ADELI", "Commune", "Téléphone", "Rôle",
         f"Cotisation {year}", "Formule", "Montant"]
    )  # fmt: skip
    for m in members:
        p, d = m.profile, m.current_dues
        writer.writerow(
            [
                _csv_safe(m.user.last_name),
                _csv_safe(m.user.first_name),
                _csv_safe(m.user.email),
                p.get_profession_display() if p else "",
                p.identifier if p else "",
                _csv_safe(p.commune) if p else "",
                p.phone if p else "",
                m.get_role_display(),
                d.get_status_display() if d else "Aucune",
                _csv_safe(d.tier.name) if d else "",
                str(d.amount).replace(".", ",") if d else "",
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # Spreadsheet formula injection: a cell must not start with = + - @.
    return f"'{value}" if value and value[0] in "=+-@" else value


@role_required(Role.TEAM)
@require_http_methods(["GET", "POST"])
def team_member_detail(request, membership_id: int):
    member = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    year = paris_today().year
    form = OfflinePaymentForm(initial={"year": year, "tier": selectors.list_active_tiers().first()})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "offline":
                form = OfflinePaymentForm(request.POST)
                if form.is_valid():
                    services.record_manual_dues(
                        actor=request.user,
                        membership=member,
                        tier=form.cleaned_data["tier"],
                        year=form.cleaned_data["year"],
                        method=form.cleaned_data["method"],
                        reference=form.cleaned_data["reference"],
                    )
                    messages.success(request, _("Paiement enregistré ; le reçu va être envoyé."))
                    return redirect("dues:team_member", membership_id=member.pk)
            elif action in ("refund", "resend"):
                payment_id = request.POST.get("payment", "")
                if not payment_id.isdigit():
                    raise Http404
                payment = get_object_or_404(Payment, pk=int(payment_id), dues__membership=member)
                if action == "refund":
                    payment_services.refund_payment(actor=request.user, payment=payment)
                    messages.success(request, _("Paiement remboursé ; un avoir va être émis."))
                else:
                    payment_services.resend_receipt(actor=request.user, payment=payment)
                    messages.success(request, _("Le reçu va être renvoyé à l'adhérent."))
                return redirect("dues:team_member", membership_id=member.pk)
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except (stripe.StripeError, StripeUnavailable):
            messages.error(
                request,
                _(
                    "Stripe n'a pas répondu comme prévu : réessayez dans quelques minutes. Si le "
                    "remboursement a tout de même été fait chez Stripe, il apparaîtra ici de lui-même."
                ),
            )
    return render(
        request,
        "dues/team_member.html",
        {
            "member": member,
            "profile": get_profile(member.user),
            "dues_list": selectors.list_dues_of(member),
            "form": form,
        },
    )


@role_required(Role.TEAM)
def team_figures(request):
    this_year = paris_today().year
    years = [selectors.year_figures(y) for y in range(this_year + 1, this_year - 3, -1)]
    return render(request, "dues/team_figures.html", {"years": years})


@role_required(Role.TEAM)
@require_http_methods(["GET", "POST"])
def team_settings(request):
    row = DuesSettings.load()
    form = DuesSettingsForm(request.POST or None, instance=row)
    if request.method == "POST":
        check_role(request, Role.ADMIN)
        if form.is_valid():
            form.save()
            messages.success(request, _("Réglages enregistrés."))
            return redirect("dues:team_settings")
    community = current_community()
    return render(
        request,
        "dues/team_settings.html",
        {
            "form": form,
            "tiers": selectors.list_tiers(),
            "account": connect.get_connected_account(community),
            "card_available": connect.card_payments_available(community),
            "is_admin": request.membership.has_role(Role.ADMIN),
        },
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def team_tier(request, tier_id: int | None = None):
    tier = get_object_or_404(Tier, pk=tier_id) if tier_id else None
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Formule enregistrée."))
        return redirect("dues:team_settings")
    return render(request, "dues/team_tier.html", {"form": form, "tier": tier})


@role_required(Role.ADMIN)
@require_POST
def stripe_connect(request):
    community = current_community()
    return_url = request.build_absolute_uri(reverse("dues:stripe_return"))
    try:
        url = connect.start_onboarding(
            actor=request.user, community=community, refresh_url=return_url, return_url=return_url
        )
    except StripeUnavailable:
        messages.error(request, _("Stripe n'est pas configuré sur cette plateforme."))
        return redirect("dues:team_settings")
    return redirect(url)


@role_required(Role.ADMIN)
def stripe_return(request):
    account = connect.refresh_status(current_community())
    if account is not None and account.charges_enabled:
        messages.success(request, _("Votre compte Stripe est connecté : le paiement par carte est ouvert."))
    else:
        messages.warning(request, _("La connexion à Stripe n'est pas terminée."))
    return redirect("dues:team_settings")
