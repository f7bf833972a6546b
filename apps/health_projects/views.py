from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.form_errors import add_errors_to_form
from apps.members.models import Role
from apps.members.permissions import role_required
from apps.missions import OPTIONAL_MISSIONS, SOCLE_MISSIONS
from tenants.access import public

from . import selectors, services
from .forms import ActionForm, AxisForm, NewVersionForm, ValidateForm, VersionForm
from .models import Action, Axis


@public
def summary(request):
    """Public page: the projet in force, its missions and how many actions each carries."""
    version = selectors.get_validated_version()
    return render(
        request,
        "health_projects/summary.html",
        {
            "version": version,
            "axes": selectors.public_summary(version) if version else [],
            "socles": SOCLE_MISSIONS,
            "optionals": OPTIONAL_MISSIONS,
        },
    )


@role_required(Role.MEMBER)
def full_view(request):
    number = request.GET.get("version")
    version = (
        selectors.get_version(int(number)) if number and number.isdigit() else selectors.get_current_version()
    )
    if number and version is None:
        raise Http404
    return render(
        request,
        "health_projects/full.html",
        {
            "version": version,
            "axes": selectors.list_axes_with_actions(version) if version else [],
            "versions": selectors.list_versions(),
            "budget_total": selectors.action_budget_total(version) if version else None,
            "is_team": request.membership.has_role(Role.TEAM),
        },
    )


@role_required(Role.TEAM)
def versions(request):
    form = NewVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        version = services.create_version(
            actor=request.user, title=form.cleaned_data["title"], based_on=form.cleaned_data["based_on"]
        )
        messages.success(request, _("Version %(number)d créée.") % {"number": version.number})
        return redirect("health_projects:edit_version", number=version.number)
    return render(
        request, "health_projects/versions.html", {"versions": selectors.list_versions(), "form": form}
    )


@role_required(Role.TEAM)
def edit_version(request, number: int):
    version = selectors.get_version(number)
    if version is None:
        raise Http404
    version_form = VersionForm(instance=version, prefix="version")
    axis_form = AxisForm(prefix="axis")
    action_form = ActionForm(prefix="action", version=version)
    validate_form = ValidateForm(prefix="validate")
    if request.method == "POST":
        kind = request.POST.get("form")
        try:
            if kind == "version":
                version_form = VersionForm(request.POST, instance=version, prefix="version")
                if version_form.is_valid():
                    services.update_version(actor=request.user, version=version, **version_form.cleaned_data)
                    messages.success(request, _("Version enregistrée."))
                    return redirect("health_projects:edit_version", number=number)
            elif kind == "axis":
                axis_form = AxisForm(request.POST, prefix="axis")
                if axis_form.is_valid():
                    services.add_axis(actor=request.user, version=version, **axis_form.cleaned_data)
                    messages.success(request, _("Axe ajouté."))
                    return redirect("health_projects:edit_version", number=number)
            elif kind == "action":
                action_form = ActionForm(request.POST, prefix="action", version=version)
                if action_form.is_valid():
                    data = dict(action_form.cleaned_data)
                    axis = data.pop("axis")
                    services.add_action(actor=request.user, axis=axis, data=data)
                    messages.success(request, _("Action ajoutée."))
                    return redirect("health_projects:edit_version", number=number)
        except ValidationError as error:
            target = {"version": version_form, "axis": axis_form, "action": action_form}.get(
                kind, version_form
            )
            add_errors_to_form(target, error)
    return render(
        request,
        "health_projects/edit_version.html",
        {
            "version": version,
            "axes": selectors.list_axes_with_actions(version),
            "version_form": version_form,
            "axis_form": axis_form,
            "action_form": action_form,
            "validate_form": validate_form,
        },
    )


@require_POST
@role_required(Role.TEAM)
def submit(request, number: int):
    version = selectors.get_version(number)
    if version is None:
        raise Http404
    try:
        services.submit_version(actor=request.user, version=version)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Version %(number)d soumise à l'ARS et à la CPAM.") % {"number": number})
    return redirect("health_projects:edit_version", number=number)


@require_POST
@role_required(Role.TEAM)
def validate(request, number: int):
    version = selectors.get_version(number)
    if version is None:
        raise Http404
    form = ValidateForm(request.POST, prefix="validate")
    if form.is_valid():
        try:
            services.validate_version(actor=request.user, version=version, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Version %(number)d validée.") % {"number": number})
    else:
        messages.error(
            request, _("Indiquez la date de validation et les instances qui ont validé le projet.")
        )
    return redirect("health_projects:edit_version", number=number)


@require_POST
@role_required(Role.TEAM)
def delete_axis(request, pk: int):
    axis = get_object_or_404(Axis.objects.select_related("version"), pk=pk)
    try:
        services.delete_axis(actor=request.user, axis=axis)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Axe supprimé."))
    return redirect("health_projects:edit_version", number=axis.version.number)


@role_required(Role.TEAM)
def edit_action(request, pk: int):
    action = get_object_or_404(Action.objects.select_related("axis__version"), pk=pk)
    version = action.axis.version
    form = ActionForm(request.POST or None, instance=action, version=version)
    if not version.is_editable:
        for name in ("axis", "title", "description"):
            form.fields[name].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "axis"}
        try:
            services.update_action(actor=request.user, action=Action.objects.get(pk=action.pk), data=data)
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("Action enregistrée."))
            return redirect("health_projects:edit_version", number=version.number)
    return render(
        request, "health_projects/edit_action.html", {"action": action, "version": version, "form": form}
    )
