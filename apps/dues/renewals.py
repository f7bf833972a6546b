"""Year-end work of one CPTS: lapse last year's dues, queue renewal reminders.

The run on 1 January must stay close to one bulk statement per schema
(benchmarks/renewal_wave.py): the lapse is one UPDATE, and reminders are queued as one
``ReminderCampaign`` row per due day, whatever the number of members; a worker then walks the
members in batches (``send_campaign``). Everything is idempotent: a second run finds nothing left
to do, and each member is reminded once per campaign (a ``Reminder`` row is claimed before the
e-mail is sent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.members.models import Membership

from .models import Dues, DuesSettings, Reminder, ReminderCampaign

# A reminder missed by a few days (beat down, worker late) is still sent; older ones are not.
CATCH_UP_DAYS = 7
BATCH = 200
# An unfinished campaign older than this is enqueued again (its task was lost).
STALE_AFTER = timedelta(hours=1)


def lapse_past_years(today: date, grace_days: int | None = None) -> int:
    """Dues of years before ``today``'s are no longer active, once the CPTS's grace period after
    1 January (``DuesSettings.grace_days``, read when not given) is over: until then last year's
    members stay à jour (apps.members.standing). Returns the rows changed."""
    if grace_days is None:
        grace_days = DuesSettings.load().grace_days
    last_year_covered = (today - timedelta(days=grace_days)).year
    return Dues.objects.filter(year__lt=last_year_covered, status=Dues.Status.ACTIVE).update(
        status=Dues.Status.EXPIRED
    )


def due_offsets(today: date, offsets: list[int]) -> list[tuple[int, int]]:
    """(renewal year, offset) pairs whose reminder day is today or within the catch-up window."""
    due = []
    for offset in offsets:
        for year in (today.year, today.year + 1):
            day = date(year, 1, 1) + timedelta(days=int(offset))
            if day <= today < day + timedelta(days=CATCH_UP_DAYS):
                due.append((year, int(offset)))
    return due


def queue_reminders(today: date) -> list[tuple[int, str]]:
    """Campaigns to hand to a worker now, as (id, kind): those created by this call, plus
    unfinished ones whose task must have been lost. Never more than one per kind, year and
    offset. From 1 to 7 January, the automatic renewals of the year form one campaign too."""
    offsets = DuesSettings.load().reminder_offsets or []
    wanted = [(ReminderCampaign.Kind.REMINDER, year, offset) for year, offset in due_offsets(today, offsets)]
    if today.month == 1 and today.day <= CATCH_UP_DAYS:
        wanted.insert(0, (ReminderCampaign.Kind.AUTO_RENEWAL, today.year, 0))
    if not wanted:
        return []
    # Two statements whatever the number of campaigns (this runs in every CPTS every night).
    now = timezone.now()
    ReminderCampaign.objects.bulk_create(
        [
            ReminderCampaign(kind=kind, year=year, offset_days=offset, created_at=now)
            for kind, year, offset in wanted
        ],
        ignore_conflicts=True,
    )
    matching = Q()
    for kind, year, offset in wanted:
        matching |= Q(kind=kind, year=year, offset_days=offset)
    rows = ReminderCampaign.objects.filter(matching, finished_at__isnull=True).values_list(
        "pk", "kind", "created_at"
    )
    # Created by this call (our timestamp), or left unfinished long enough to be presumed lost.
    return [(pk, kind) for pk, kind, created in rows if created == now or created < now - STALE_AFTER]


def recipients(campaign: ReminderCampaign):
    """Active members who paid an earlier year and have not paid the campaign's year."""
    paid = Dues.objects.filter(year=campaign.year, status=Dues.Status.ACTIVE).values("membership_id")
    earlier = Dues.objects.filter(
        year__lt=campaign.year, status__in=[Dues.Status.ACTIVE, Dues.Status.EXPIRED]
    ).values("membership_id")
    members = Membership.objects.filter(is_active=True, pk__in=earlier).exclude(pk__in=paid)
    if campaign.offset_days == 0:
        # On 1 January members with automatic renewal are charged instead (and told if it fails).
        members = members.exclude(auto_renew=True, stripe_payment_method_id__gt="")
    return members.order_by("pk")


def send_campaign(campaign_id: int, send: Callable[[Reminder], None]) -> int:
    """Walk the campaign's recipients in batches; claim then ``send`` each reminder once.

    Each member is one transaction: the ``Reminder`` row (unique per member, year and offset) is
    the claim, committed with its ``sent_at`` only if ``send`` succeeded. A failing ``send``
    rolls back its own claim (the member is retried later, never skipped); two workers on the
    same campaign cannot both claim a member. Returns the number of reminders sent by this call.
    """
    sent = 0
    while True:
        campaign = ReminderCampaign.objects.filter(pk=campaign_id, finished_at__isnull=True).first()
        if campaign is None:
            return sent
        batch = list(
            recipients(campaign).filter(pk__gt=campaign.last_membership_id).select_related("user")[:BATCH]
        )
        if not batch:
            ReminderCampaign.objects.filter(pk=campaign_id).update(finished_at=timezone.now())
            return sent
        for membership in batch:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        reminder = Reminder.objects.create(
                            membership=membership, year=campaign.year, offset_days=campaign.offset_days
                        )
                except IntegrityError:
                    continue  # already reminded (an earlier, interrupted run)
                reminder.membership = membership
                send(reminder)
                reminder.sent_at = timezone.now()
                reminder.save(update_fields=["sent_at"])
            sent += 1
        ReminderCampaign.objects.filter(pk=campaign_id, last_membership_id__lt=batch[-1].pk).update(
            last_membership_id=batch[-1].pk
        )
