from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.access import PUBLIC, authenticated, public
from tenants.models import Community

from .forms import EmailAuthenticationForm, NewAccountForm, PlatformPasswordResetForm
from .handoff import holds_role_in, make_handoff, redeem_handoff
from .hooks import landing_url
from .middleware import bind_session_to_community
from .signup import read_signup_link
from .throttling import ACCOUNT, ADDRESS, clear_account_failures, reached_caps


def login_and_bind(request, user) -> None:
    """Log ``user`` in on this host only (see CommunitySessionMiddleware)."""
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    bind_session_to_community(request)


class LoginView(auth_views.LoginView):
    access = PUBLIC
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        bind_session_to_community(self.request)
        return response

    def get_default_redirect_url(self):
        """Without ``next``: the landing an app registered (the team's dashboard), else "/"."""
        return landing_url(self.request) or super().get_default_redirect_url()


@public
@require_http_methods(["GET", "POST"])
def signup_confirm(request, token: str):
    """The link of a sign-up e-mail (apps/accounts/signup.py): create the account for the e-mail
    it carries, sign in on this CPTS and continue where the person was going."""
    link = read_signup_link(request, token)
    if link is None:
        return render(request, "accounts/signup_invalid.html", status=404)
    if get_user_model().objects.filter(email__iexact=link.email).exists():
        login_url = f"{reverse('accounts:login')}?next={link.next_url}"
        return render(
            request, "accounts/signup_invalid.html", {"used": True, "login_url": login_url}, status=410
        )
    form = NewAccountForm(request.POST or None, email=link.email)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login_and_bind(request, user)
        messages.success(request, _("Votre compte est créé."))
        return redirect(link.next_url)
    return render(request, "accounts/signup_confirm.html", {"form": form, "email": link.email})


@authenticated
def handoff_start(request, schema: str):
    """« Mes CPTS »: leave this CPTS for another where the account holds a role, signed in there
    (apps/accounts/handoff.py). 404 for a CPTS that is not one of the account's."""
    target = Community.objects.filter(schema_name=schema, status=Community.Status.ACTIVE).first()
    if target is None or target.pk == request.tenant.pk or not holds_role_in(request.user, target):
        raise Http404
    arrival = reverse("accounts:handoff_arrive")
    query = {"jeton": make_handoff(request.user, target)}
    if _local_path(request.GET.get("suite", "")):
        query["suite"] = request.GET["suite"]
    return redirect(f"{target.primary_url().rstrip('/')}{arrival}?{urlencode(query)}")


def _local_path(path: str) -> bool:
    """A path on the same site (``/recus/12/``), never another host nor a scheme."""
    return path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=set())


@public
def handoff_arrive(request):
    """The other end of a hand-off: open a session on this CPTS if the token allows it, else
    nothing (a French page with the login link)."""
    user = redeem_handoff(request.GET.get("jeton", ""), community=request.tenant)
    if user is None:
        return render(request, "accounts/handoff_invalid.html", status=403)
    login_and_bind(request, user)
    following = request.GET.get("suite", "")
    return redirect(following if _local_path(following) else "members:member_space")


class LogoutView(auth_views.LogoutView):
    access = PUBLIC
    pass


class PasswordResetView(auth_views.PasswordResetView):
    access = PUBLIC
    form_class = PlatformPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    access = PUBLIC
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    access = PUBLIC
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # The owner proved they hold the mailbox: guesses others made at this account no longer
        # hold its logins back (the way out the lockout page offers).
        clear_account_failures(self.user.email)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    access = PUBLIC
    template_name = "accounts/password_reset_complete.html"


def locked_out(request, original_response=None, credentials=None):
    """What django-axes answers once a cap is reached (429): which one, and what to do."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    caps = reached_caps(request, credentials)
    if ACCOUNT in caps:
        reason = "account"
    elif ADDRESS in caps:
        reason = "address"
    else:
        reason = "pair"
    return render(
        request, "accounts/lockout.html", {"cooloff_minutes": minutes, "reason": reason}, status=429
    )
