from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.form_errors import add_errors_to_form
from apps.members.models import Role
from apps.members.permissions import role_required
from tenants.storage import file_response

from . import selectors, services
from .forms import AttendanceForm, DocumentForm, GroupForm, MeetingForm
from .models import GroupDocument


def _group_or_404(pk: int):
    group = selectors.get_group(pk)
    if group is None:
        raise Http404
    return group


def _require_manager(request, group) -> None:
    if not services.can_manage(request.user, group):
        raise PermissionDenied


@role_required(Role.MEMBER)
def group_list(request):
    return render(
        request,
        "working_groups/list.html",
        {"groups": selectors.list_groups(), "is_team": request.membership.has_role(Role.TEAM)},
    )


@role_required(Role.TEAM)
def group_create(request):
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        participants = data.pop("participants")
        try:
            group = services.create_group(
                actor=request.user, data=data, member_ids=[u.pk for u in participants]
            )
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("Groupe « %(name)s » créé.") % {"name": group.name})
            return redirect("working_groups:detail", pk=group.pk)
    return render(request, "working_groups/form.html", {"form": form, "group": None})


@role_required(Role.TEAM)
def group_edit(request, pk: int):
    group = _group_or_404(pk)
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        participants = data.pop("participants")
        try:
            services.update_group(
                actor=request.user,
                group=selectors.get_group(pk),
                data=data,
                member_ids=[u.pk for u in participants],
            )
        except ValidationError as error:
            add_errors_to_form(form, error)
        else:
            messages.success(request, _("Groupe enregistré."))
            return redirect("working_groups:detail", pk=pk)
    return render(request, "working_groups/form.html", {"form": form, "group": group})


@role_required(Role.MEMBER)
def group_detail(request, pk: int):
    group = _group_or_404(pk)
    can_manage = services.can_manage(request.user, group)
    return render(
        request,
        "working_groups/detail.html",
        {
            "group": group,
            "members": selectors.list_group_members(group),
            "meetings": selectors.list_meetings(group),
            "documents": group.documents.select_related("meeting").all(),
            "actions": group.actions.select_related("axis__version").order_by("-axis__version__number", "pk"),
            "is_member": selectors.is_group_member(group, request.user),
            "can_manage": can_manage,
            "document_form": DocumentForm(group=group) if can_manage else None,
        },
    )


@require_POST
@role_required(Role.MEMBER)
def group_join(request, pk: int):
    group = _group_or_404(pk)
    try:
        services.join_group(actor=request.user, group=group)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Vous avez rejoint le groupe."))
    return redirect("working_groups:detail", pk=pk)


@require_POST
@role_required(Role.MEMBER)
def group_leave(request, pk: int):
    group = _group_or_404(pk)
    services.leave_group(actor=request.user, group=group)
    messages.success(request, _("Vous avez quitté le groupe."))
    return redirect("working_groups:detail", pk=pk)


@role_required(Role.MEMBER)
def meeting_create(request, pk: int):
    group = _group_or_404(pk)
    _require_manager(request, group)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = services.schedule_meeting(actor=request.user, group=group, data=form.cleaned_data)
        messages.success(request, _("Réunion enregistrée."))
        return redirect("working_groups:meeting", pk=pk, meeting_id=meeting.pk)
    return render(request, "working_groups/meeting_form.html", {"form": form, "group": group})


@role_required(Role.MEMBER)
@require_POST
def meeting_cancel(request, pk: int, meeting_id: int):
    """The team or the group's lead cancels a meeting: participants get the calendar cancellation."""
    group = _group_or_404(pk)
    meeting = selectors.get_meeting(group, meeting_id)
    if meeting is None:
        raise Http404
    _require_manager(request, group)
    services.cancel_meeting(actor=request.user, meeting=meeting)
    messages.success(
        request, _("Réunion annulée : les participants en sont prévenus et leur agenda est mis à jour.")
    )
    return redirect("working_groups:meeting", pk=pk, meeting_id=meeting_id)


@role_required(Role.MEMBER)
def meeting_detail(request, pk: int, meeting_id: int):
    group = _group_or_404(pk)
    meeting = selectors.get_meeting(group, meeting_id)
    if meeting is None:
        raise Http404
    can_manage = services.can_manage(request.user, group)
    members = list(selectors.list_group_members(group))
    present_ids = [a.user_id for a in meeting.attendances.all() if a.present]
    form = MeetingForm(instance=meeting) if can_manage else None
    attendance_form = AttendanceForm(members=members, present_ids=present_ids) if can_manage else None
    if request.method == "POST":
        _require_manager(request, group)
        if request.POST.get("form") == "attendance":
            attendance_form = AttendanceForm(request.POST, members=members, present_ids=present_ids)
            if attendance_form.is_valid():
                try:
                    count = services.record_attendance(
                        actor=request.user,
                        meeting=meeting,
                        present_user_ids=attendance_form.cleaned_data["present"],
                    )
                except ValidationError as error:
                    add_errors_to_form(attendance_form, error)
                else:
                    messages.success(request, _("Présences enregistrées : %(count)d.") % {"count": count})
                    return redirect("working_groups:meeting", pk=pk, meeting_id=meeting_id)
        else:
            form = MeetingForm(request.POST, instance=meeting)
            if form.is_valid():
                try:
                    services.update_meeting(actor=request.user, meeting=meeting, data=form.cleaned_data)
                except ValidationError as error:
                    add_errors_to_form(form, error)
                else:
                    messages.success(request, _("Réunion enregistrée."))
                    return redirect("working_groups:meeting", pk=pk, meeting_id=meeting_id)
    return render(
        request,
        "working_groups/meeting.html",
        {
            "group": group,
            "meeting": meeting,
            "form": form,
            "attendance_form": attendance_form,
            "present": [a for a in meeting.attendances.all() if a.present],
        },
    )


@require_POST
@role_required(Role.MEMBER)
def document_upload(request, pk: int):
    group = _group_or_404(pk)
    _require_manager(request, group)
    form = DocumentForm(request.POST, request.FILES, group=group)
    if form.is_valid():
        services.add_document(actor=request.user, group=group, **form.cleaned_data)
        messages.success(request, _("Document ajouté."))
    else:
        messages.error(
            request, _("Le document n'a pas pu être ajouté : indiquez un titre et choisissez un fichier.")
        )
    return redirect("working_groups:detail", pk=pk)


@role_required(Role.MEMBER)
def document_download(request, pk: int, document_id: int):
    document = GroupDocument.objects.filter(group_id=pk, pk=document_id).first()
    if document is None:
        raise Http404
    # The name is under this CPTS's own prefix; object storage answers with a signed URL.
    return file_response(document.file.name, as_attachment=True)
