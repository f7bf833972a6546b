"""Claims made before the team reviewed them (the RPPS alone was checked, and it is public) are
put back in the team's queue: the entry is unlinked until the team accepts the pending claim."""

from django.db import migrations

MESSAGE = (
    "Revendication faite avant que l'équipe ne vérifie chaque demande : la fiche vous était liée sur "
    "la seule foi du numéro RPPS. L'équipe doit la confirmer."
)


def queue_unverified_claims(apps, schema_editor) -> int:
    """Turn every entry linked to an account without an accepted claim into a pending claim of that
    account; returns how many."""
    Entry = apps.get_model("directory", "Entry")
    ListingRequest = apps.get_model("directory", "ListingRequest")
    Place = apps.get_model("directory", "Place")
    approved = {
        (entry_id, user_id)
        for entry_id, user_id in ListingRequest.objects.filter(purpose="claim", status="accepted").values_list(
            "entry_id", "requested_by_id"
        )
    }
    claimed = [
        entry
        for entry in Entry.objects.filter(claimed_by__isnull=False)
        if (entry.pk, entry.claimed_by_id) not in approved
    ]
    if not claimed:
        return 0
    # Accounts live in the public schema (on the search path of every CPTS schema).
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, email, first_name, last_name FROM accounts_user WHERE id = ANY(%s)",
            [sorted({entry.claimed_by_id for entry in claimed})],
        )
        users = {row[0]: row[1:] for row in cursor.fetchall()}
    for entry in claimed:
        account = users.get(entry.claimed_by_id)
        if account is None:
            continue
        email, first_name, last_name = account
        place = Place.objects.filter(entry_id=entry.pk).order_by("position", "pk").first()
        ListingRequest.objects.create(
            purpose="claim",
            status="pending",
            requested_by_id=entry.claimed_by_id,
            entry_id=entry.pk,
            kind=entry.kind,
            name=f"{first_name} {last_name}".strip() or email,
            profession=entry.profession,
            identifier=entry.identifier,
            address=place.address if place else "",
            postcode=place.postcode if place else "",
            city=place.city if place else "",
            email=email,
            message=MESSAGE,
        )
    Entry.objects.filter(pk__in=[entry.pk for entry in claimed]).update(claimed_by=None, claimed_at=None)
    return len(claimed)


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_claim_requests")]

    operations = [migrations.RunPython(queue_unverified_claims, migrations.RunPython.noop)]
