"""Indicator values computed from the platform's own data."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.aci import selectors, services
from apps.aci.indicators import compute_value
from apps.aci.models import Indicator, IndicatorValue
from apps.directory.models import Entry
from apps.dues.models import Dues, Tier
from apps.events.models import Event, Registration
from apps.members.models import Membership
from apps.working_groups.models import Attendance, GroupMember, Meeting, WorkingGroup

YEAR = timezone.localdate().year - 1  # a whole past year


def at(month: int, day: int, hour: int = 18) -> datetime:
    return timezone.make_aware(datetime(YEAR, month, day, hour))


def test_members_events_and_meetings_are_counted_for_the_period(world, db, alice, bob):
    users = get_user_model().objects
    with schema_context("alpha"):
        Membership.objects.filter(user=alice).update(joined_at=at(2, 1))
        members_before = Membership.objects.filter(is_active=True, joined_at__lt=at(12, 31, 23)).count()
        late = users.create_user("tardif@test.fr", "x" * 12)
        Membership.objects.create(user=late, joined_at=timezone.make_aware(datetime(YEAR + 1, 1, 5)))
        gone = users.create_user("parti@test.fr", "x" * 12)
        Membership.objects.create(user=gone, joined_at=at(3, 1), is_active=False)
        held = Event.objects.create(
            title="Soirée", starts_at=at(3, 10), ends_at=at(3, 10, 21), visibility="public"
        )
        Event.objects.create(title="Formation", starts_at=at(9, 2), ends_at=at(9, 2, 20))
        Event.objects.create(title="Annulée", starts_at=at(5, 2), ends_at=at(5, 2, 20), status="cancelled")
        Event.objects.create(
            title="Année d'avant",
            starts_at=at(1, 1) - timedelta(days=3),
            ends_at=at(1, 1) - timedelta(days=3),
        )
        Registration.objects.create(event=held, user=alice, status="confirmed", attended=True)
        Registration.objects.create(event=held, user=bob, status="confirmed", attended=False)
        group = WorkingGroup.objects.create(name="Parcours BPCO")
        other = WorkingGroup.objects.create(name="Dormant")
        GroupMember.objects.create(group=group, user=alice)
        GroupMember.objects.create(group=group, user=bob)
        first = Meeting.objects.create(group=group, starts_at=at(2, 1), external_attendees=2)
        Meeting.objects.create(group=group, starts_at=at(6, 1))
        Meeting.objects.create(group=other, starts_at=at(1, 1) - timedelta(days=40))
        Attendance.objects.create(meeting=first, user=alice, present=True)
        Attendance.objects.create(meeting=first, user=bob, present=False)

        start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
        figures = {
            source: compute_value(source, start, end)
            for source in Indicator.Source.values
            # The directory, the SNP roster (tests/roster) and the access-to-care desk
            # (tests/access_care) have their own tests.
            if source not in ("manual", "directory_coverage", "snp_slots", "snp_professionals")
            and not source.startswith("access_")
        }
        with pytest.raises(ValueError):
            compute_value("manual", start, end)

    assert figures == {
        "members": Decimal(members_before),  # the late joiner and the inactive one do not count
        "events_held": Decimal(2),
        "event_attendance": Decimal(1),
        "meetings_held": Decimal(2),
        "meeting_attendance": Decimal(3),  # alice + 2 guests
        "active_groups": Decimal(1),
    }
    assert members_before >= 1  # alice at least


def test_refreshing_computed_values_is_idempotent_and_feeds_progress(world, db, alice):
    with schema_context("alpha"):
        indicator = services.create_indicator(
            actor=alice, data={"label": "Réunions de groupes", "source": "meetings_held", "unit": "réunions"}
        )
        services.set_target(actor=alice, indicator=indicator, year=YEAR, target=Decimal(4))
        group = WorkingGroup.objects.create(name="Prévention")
        for month in (1, 4, 7):
            Meeting.objects.create(group=group, starts_at=at(month, 10))
        assert services.refresh_computed_values(year=YEAR) == 1
        assert services.refresh_computed_values(year=YEAR) == 1
        rows = list(IndicatorValue.objects.filter(indicator=indicator).values_list("value", "computed"))
        (progress,) = [p for p in selectors.list_indicator_progress(YEAR) if p.indicator.pk == indicator.pk]
    assert rows == [(Decimal("3.00"), True)]
    assert progress.value == Decimal(3) and progress.target == Decimal(4) and progress.ratio == 0.75


def test_a_computed_indicator_refuses_hand_entered_values(world, db, alice):
    with schema_context("alpha"):
        indicator = services.create_indicator(actor=alice, data={"label": "Adhérents", "source": "members"})
        with pytest.raises(ValidationError):
            services.record_value(
                actor=alice,
                indicator=indicator,
                period_start=date(YEAR, 1, 1),
                period_end=date(YEAR, 12, 31),
                value=Decimal(9),
            )
        assert indicator.aggregation == "last"
        assert not IndicatorValue.objects.filter(indicator=indicator).exists()


def test_manual_values_per_quarter_add_up_to_the_year_unless_it_is_a_stock(world, db, alice):
    with schema_context("alpha"):
        flow = services.create_indicator(actor=alice, data={"label": "Patients orientés", "nature": "result"})
        stock = services.create_indicator(
            actor=alice, data={"label": "Patients sans médecin traitant", "aggregation": "last"}
        )
        for quarter, (flow_value, stock_value) in enumerate([(10, 500), (15, 450), (5, 420)]):
            start = date(YEAR, 3 * quarter + 1, 1)
            end = date(YEAR, 3 * quarter + 3, 28)
            services.record_value(
                actor=alice, indicator=flow, period_start=start, period_end=end, value=Decimal(flow_value)
            )
            services.record_value(
                actor=alice, indicator=stock, period_start=start, period_end=end, value=Decimal(stock_value)
            )
        progress = {p.indicator.pk: p.value for p in selectors.list_indicator_progress(YEAR)}
    assert progress[flow.pk] == Decimal(30)
    assert progress[stock.pk] == Decimal(420)


def test_an_indicator_switched_to_computed_ignores_its_old_typed_values(world, db, alice):
    with schema_context("alpha"):
        indicator = services.create_indicator(actor=alice, data={"label": "Réunions", "unit": "réunions"})
        services.record_value(
            actor=alice,
            indicator=indicator,
            period_start=date(YEAR, 1, 1),
            period_end=date(YEAR, 3, 31),
            value=Decimal(40),
        )
        services.update_indicator(actor=alice, indicator=indicator, data={"source": "meetings_held"})
        group = WorkingGroup.objects.create(name="Crises")
        Meeting.objects.create(group=group, starts_at=at(5, 5))
        services.refresh_computed_values(year=YEAR)
        (progress,) = [p for p in selectors.list_indicator_progress(YEAR) if p.indicator.pk == indicator.pk]
    assert progress.value == Decimal(1)


def professional(name: str, *, member: bool, created: datetime, **fields) -> Entry:
    return Entry.objects.create(
        kind="professional", family="liberal", name=name, is_member=member, created_at=created, **fields
    )


def test_directory_coverage_is_the_share_of_listed_professionals_who_are_members(world, db, alice):
    with schema_context("beta"):
        # B's directory is all members: had it leaked into A's figure, A's share would rise.
        for i in range(5):
            professional(f"Infirmier B{i}", member=True, created=at(2, 1))
    with schema_context("alpha"):
        for i in range(3):
            professional(f"Médecin membre {i}", member=True, created=at(1, 15))
        for i in range(3):
            professional(f"Kiné non membre {i}", member=False, created=at(1, 15))
        professional("Sage-femme masquée", member=False, created=at(1, 15), visibility="hidden")
        # Gone from the national files in May: not on the territory any more, counts in neither period.
        professional("Kiné retraité", member=False, created=at(1, 15), withdrawn_at=at(5, 1))
        professional("Pharmacien membre arrivé en septembre", member=True, created=at(9, 1))
        professional("Arrivé l'année suivante", member=True, created=at(1, 1) + timedelta(days=400))
        Entry.objects.create(
            kind="structure", family="msp", name="MSP du bourg", is_member=True, created_at=at(1, 15)
        )

        first_half = compute_value("directory_coverage", date(YEAR, 1, 1), date(YEAR, 6, 30))
        whole_year = compute_value("directory_coverage", date(YEAR, 1, 1), date(YEAR, 12, 31))
        before_any_entry = compute_value("directory_coverage", date(2000, 1, 1), date(2000, 12, 31))

        indicator = services.create_indicator(
            actor=alice, data={"label": "Couverture de l'annuaire", "source": "directory_coverage"}
        )
        services.refresh_computed_values(year=YEAR)
        (progress,) = [p for p in selectors.list_indicator_progress(YEAR) if p.indicator.pk == indicator.pk]
    with schema_context("beta"):
        beta_year = compute_value("directory_coverage", date(YEAR, 1, 1), date(YEAR, 12, 31))

    assert first_half == Decimal("42.86")  # 3 members out of 7 professionals (hidden one included)
    assert whole_year == Decimal("50.00")  # + the September member: 4 out of 8; structures never count
    assert before_any_entry == Decimal(0)
    assert beta_year == Decimal("100.00")
    assert (indicator.unit, indicator.aggregation) == ("%", "last")
    assert progress.value == Decimal("50.00")


def test_the_members_indicator_counts_members_a_jour_only(world, db, alice):
    """Members are members à jour (apps.members.standing): a candidate (joined, never paid), a
    member whose dues were refunded and one who paid only an earlier year are not counted; dues
    paid during the year count from the day they were paid, even lapsed since (1 January)."""
    users = get_user_model().objects
    with schema_context("alpha"):
        tier = Tier.objects.get(name="Adhésion classique")
        year_end, first_quarter = (
            (date(YEAR, 1, 1), date(YEAR, 12, 31)),
            (date(YEAR, 1, 1), date(YEAR, 3, 31)),
        )
        before = {period: compute_value("members", *period) for period in (year_end, first_quarter)}
        this_year = compute_value("members", date(YEAR + 1, 1, 1), date(YEAR + 1, 12, 31))

        def joined(email: str, dues: list[tuple[int, str, datetime | None]]) -> Membership:
            membership = Membership.objects.create(
                user=users.create_user(email, "x" * 12), joined_at=at(1, 15)
            )
            for dues_year, status, activated_at in dues:
                Dues.objects.create(
                    membership=membership,
                    year=dues_year,
                    tier=tier,
                    amount=tier.price,
                    status=status,
                    activated_at=activated_at,
                )
            return membership

        joined("candidat@test.fr", [(YEAR, "pending", None), (YEAR + 1, "pending", None)])
        joined("rembourse@test.fr", [(YEAR, "refunded", at(2, 1)), (YEAR + 1, "refunded", at(2, 1))])
        joined("ancien@test.fr", [(YEAR - 1, "expired", at(1, 1) - timedelta(days=200))])
        joined("paye-en-mai@test.fr", [(YEAR, "expired", at(5, 20))])  # lapsed on 1 January since
        joined("a-jour@test.fr", [(YEAR + 1, "active", timezone.now())])
        after = {period: compute_value("members", *period) for period in (year_end, first_quarter)}
        this_year_after = compute_value("members", date(YEAR + 1, 1, 1), date(YEAR + 1, 12, 31))
    assert after[year_end] == before[year_end] + 1  # paid in May, à jour at the end of the year
    assert after[first_quarter] == before[first_quarter]  # not yet paid at the end of March
    assert this_year_after == this_year + 1  # à jour today; the candidate is not
