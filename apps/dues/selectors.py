"""Reads of dues, payments and receipts of the current CPTS (connection set to its schema)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from apps.members.models import Membership, Role
from apps.payments.models import Payment, Receipt
from apps.professionals.models import ProfessionalProfile
from apps.professionals.selectors import read_in_each_community

from .models import Dues, Tier


def list_active_tiers() -> QuerySet[Tier]:
    return Tier.objects.filter(is_active=True)


def list_tiers() -> QuerySet[Tier]:
    return Tier.objects.all()


def get_dues_for(membership: Membership | None, year: int) -> Dues | None:
    if membership is None:
        return None
    return Dues.objects.filter(membership=membership, year=year).select_related("tier").first()


def last_paid_dues(membership: Membership | None, *, before: int | None = None) -> Dues | None:
    """The latest year ``membership`` paid (before ``before`` when given)."""
    if membership is None:
        return None
    paid = Dues.objects.filter(membership=membership, status__in=[Dues.Status.ACTIVE, Dues.Status.EXPIRED])
    if before is not None:
        paid = paid.filter(year__lt=before)
    return paid.select_related("tier").order_by("-year").first()


def paid_years(membership: Membership | None, years: list[int]) -> set[int]:
    """Which of ``years`` ``membership`` has paid."""
    if membership is None:
        return set()
    return set(
        Dues.objects.filter(membership=membership, year__in=years, status=Dues.Status.ACTIVE).values_list(
            "year", flat=True
        )
    )


def renewal_years(membership: Membership | None, years: list[int]) -> list[int]:
    """The years « Renouveler » offers (among ``years``, see ``calendar.join_years``): not paid
    yet, with an earlier year paid whose tier is still offered. Empty for an account with no
    dues paid (it joins instead) and when every year on offer is paid."""
    if membership is None:
        return []
    paid = paid_years(membership, years)
    offered = []
    for year in years:
        if year in paid:
            continue
        last = last_paid_dues(membership, before=year)
        if last is not None and last.tier.is_active:
            offered.append(year)
    return offered


def list_dues_of(membership: Membership) -> QuerySet[Dues]:
    return (
        Dues.objects.filter(membership=membership)
        .select_related("tier")
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("created_at").prefetch_related("receipts"))
        )
        .order_by("-year")
    )


def access_dues(actor, dues_id: int) -> Dues:
    """Dues of ``actor`` only (404 otherwise, even for the team: this is the member's page)."""
    dues = Dues.objects.select_related("membership", "tier").filter(pk=dues_id).first()
    if dues is None or dues.membership.user_id != actor.pk:
        raise Http404
    return dues


def access_payment(actor, payment_id: int) -> Payment:
    """A dues payment of ``actor`` (event payments have their own pages: apps.events)."""
    payment = (
        Payment.objects.select_related("dues__membership", "dues__tier")
        .filter(pk=payment_id, dues__isnull=False)
        .first()
    )
    if payment is None or payment.dues.membership.user_id != actor.pk:
        raise Http404
    return payment


def access_receipt(user, membership: Membership | None, receipt_id: int) -> Receipt:
    """A receipt ``user`` paid (member or not: public paid events), or any receipt of this CPTS for
    its team; 404 otherwise."""
    receipt = (
        Receipt.objects.select_related("payment__dues__membership", "payment__registration")
        .filter(pk=receipt_id)
        .first()
    )
    if receipt is None:
        raise Http404
    is_team = membership is not None and membership.is_active and membership.has_role(Role.TEAM)
    if is_team or receipt.payment.payer_user_id == user.pk:
        return receipt
    raise Http404


def list_members(*, year: int, q: str = "", status: str = "", tier: str = "", profession: str = ""):
    """Members of this CPTS with their dues of ``year`` (team back-office, CSV export, API)."""
    members = Membership.objects.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__email"
    )
    if q:
        members = members.filter(
            Q(user__email__icontains=q) | Q(user__first_name__icontains=q) | Q(user__last_name__icontains=q)
        )
    year_dues = Dues.objects.filter(year=year).select_related("tier")
    if status == "none":
        members = members.exclude(dues__year=year)
    elif status:
        members = members.filter(dues__year=year, dues__status=status)
    if tier:
        members = members.filter(dues__year=year, dues__tier_id=tier)
    if profession:
        profiles = ProfessionalProfile.objects.filter(profession=profession).values("user_id")
        members = members.filter(user_id__in=profiles)
    members = members.prefetch_related(Prefetch("dues", queryset=year_dues, to_attr="year_dues")).distinct()
    return members


def attach_profiles(memberships) -> list:
    """Memberships with ``.profile`` set (one public-schema query for the page)."""
    rows = list(memberships)
    profiles = {
        p.user_id: p for p in ProfessionalProfile.objects.filter(user_id__in=[m.user_id for m in rows])
    }
    for row in rows:
        row.profile = profiles.get(row.user_id)
        row.current_dues = row.year_dues[0] if getattr(row, "year_dues", None) else None
    return rows


@dataclass(frozen=True)
class YearFigures:
    year: int
    members_active: int
    members_pending: int
    revenue: Decimal
    refunded: Decimal
    by_tier: list
    # What Stripe kept as dispute fees on the year's payments (taken minus given back).
    dispute_fees: Decimal = Decimal("0")


def year_figures(year: int) -> YearFigures:
    dues = Dues.objects.filter(year=year)
    # Dues of a past year lapse on 1 January (« échue ») but were paid: their members were à jour.
    paid = [Dues.Status.ACTIVE, Dues.Status.EXPIRED]
    counts = dues.aggregate(
        active=Count("pk", filter=Q(status__in=paid)),
        pending=Count("pk", filter=Q(status=Dues.Status.PENDING)),
    )
    payments = Payment.objects.filter(dues__year=year)
    money = payments.aggregate(
        revenue=Sum("amount", filter=Q(status=Payment.Status.SUCCEEDED)),
        refunded=Sum("amount", filter=Q(status=Payment.Status.REFUNDED)),
        dispute_fees=Sum(F("dispute_fee") - F("dispute_fee_returned")),
    )
    by_tier = list(
        dues.filter(status__in=paid)
        .values("tier__name")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("tier__name")
    )
    return YearFigures(
        year=year,
        members_active=counts["active"],
        members_pending=counts["pending"],
        revenue=money["revenue"] or Decimal("0"),
        refunded=money["refunded"] or Decimal("0"),
        by_tier=by_tier,
        dispute_fees=money["dispute_fees"] or Decimal("0"),
    )


def account_summary(user_id: int) -> dict | None:
    """Plain data (safe to keep after leaving the schema): role and dues of ``user_id`` here."""
    membership = Membership.objects.filter(user_id=user_id).first()
    if membership is None:
        return None
    rows = (
        Dues.objects.filter(membership=membership)
        .select_related("tier")
        .prefetch_related(Prefetch("payments__receipts", queryset=Receipt.objects.order_by("pk")))
        .order_by("-year")[:5]
    )
    dues = [
        {"pk": d.pk, "year": d.year, "status": d.status, "status_label": d.get_status_display(),
         "tier": d.tier.name, "amount": d.amount,
         "receipts": [{"pk": r.pk, "number": r.number, "kind": r.kind, "kind_label": r.get_kind_display()}
                      for p in d.payments.all() for r in p.receipts.all()]}
        for d in rows
    ]  # fmt: skip
    return {"role": membership.get_role_display(), "is_active": membership.is_active, "dues": dues}


def memberships_everywhere(user) -> list[dict]:
    """The account's memberships in every CPTS it belongs to, read schema by schema."""
    rows = []
    for community, summary in read_in_each_community(user, lambda _c: account_summary(user.pk)):
        if summary is not None:
            rows.append({"community": community, "url": community.primary_url(), **summary})
    return rows
