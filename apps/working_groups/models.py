"""Pluriprofessional working groups of a CPTS, their meetings and documents. Tenant tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.missions import MissionKind


class WorkingGroup(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("objet"), blank=True)
    mission = models.CharField(_("mission"), max_length=20, choices=MissionKind.choices, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("animateur ou animatrice"),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("groupe de travail")
        verbose_name_plural = _("groupes de travail")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="wg_member_once")]

    def __str__(self) -> str:
        return f"{self.user} — {self.group}"


class Meeting(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="meetings")
    starts_at = models.DateTimeField(_("date"))
    location = models.CharField(_("lieu"), max_length=300, blank=True)
    agenda = models.TextField(_("ordre du jour"), blank=True)
    minutes = models.TextField(_("compte rendu"), blank=True)
    external_attendees = models.PositiveIntegerField(
        _("participants extérieurs"), default=0, help_text=_("Personnes présentes qui ne sont pas membres.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The calendar invitation's version (iCalendar SEQUENCE): raised when what participants put in
    # their calendars changes (date, place, agenda) or when the meeting is cancelled.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["starts_at"], name="wg_meeting_date")]

    def __str__(self) -> str:
        return f"{self.group} — {self.starts_at:%d/%m/%Y}"

    @property
    def is_held(self) -> bool:
        return self.starts_at <= timezone.now()


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(_("présent"), default=True)

    class Meta:
        verbose_name = _("présence")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="wg_attendance_once")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.meeting}"


class MeetingInvitation(models.Model):
    """The last version of a meeting's calendar invitation e-mailed to one participant, so a task
    run twice sends each version once."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField(default=0)
    cancelled = models.BooleanField(default=False)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invitation à une réunion")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="wg_invitation_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.user_id} #{self.sequence}"


def document_path(instance: GroupDocument, filename: str) -> str:
    # Stored through default_storage, which already puts files under the CPTS's own prefix.
    return f"groupes/{instance.group_id}/{filename}"


class GroupDocument(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="documents")
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
        verbose_name=_("réunion"),
    )
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to=document_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("document")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title
