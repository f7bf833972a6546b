"""The triage queue at size: its first page is read from an index (no sort of every open request),
it decrypts only the columns it shows, and its query count does not grow with the rows shown."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tenants.utils import schema_context

from apps.access_care import selectors, services
from apps.access_care.models import AccessLog
from tests.access_care.conftest import request_data

QUEUE = "/acces-aux-soins/"
UNSHOWN_COLUMNS = ("phone", "email", "address", "helper", "notes")


def submit(n: int, **overrides):
    # One visitor address per request: the public form's rate limit is not what is tested here.
    return services.submit_public_request(
        data=request_data(**overrides), consent=True, client_ip=f"10.2.0.{n}"
    )


def _queue_select(captured) -> str:
    selects = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "access_care_patientrequest"' in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert len(selects) == 1, selects
    return selects[0]


def test_the_queue_decrypts_only_the_columns_it_shows_and_its_queries_do_not_grow_with_rows(
    desk, community_a, dora_client
):
    with schema_context(community_a.schema_name):
        for n in range(3):
            submit(n, last_name=f"Nom{n}", first_name="Jeanne", helper="Sa fille", address="1 rue du Port")
    dora_client.get(QUEUE)  # the layout caches the site's settings on a first page
    with CaptureQueriesContext(connection) as few:
        response = dora_client.get(QUEUE)
    assert response.status_code == 200 and "Nom2 Jeanne" in response.text
    select = _queue_select(few)
    for column in UNSHOWN_COLUMNS:
        assert f'"access_care_patientrequest"."{column}"' not in select, column
    with schema_context(community_a.schema_name):
        for n in range(3, 20):
            submit(n, last_name=f"Nom{n}", first_name="Jeanne", phone="", email="", criteria=())
    with CaptureQueriesContext(connection) as many:
        response = dora_client.get(QUEUE)
    assert response.status_code == 200 and "Nom19 Jeanne" in response.text
    assert [q["sql"][:90] for q in many.captured_queries] == [q["sql"][:90] for q in few.captured_queries]
    with schema_context(community_a.schema_name):
        # Every row shown is still logged, one access-log row per request per page view.
        assert AccessLog.objects.filter(action="list").count() == 3 + 3 + 20


def test_the_queue_first_page_is_read_from_an_index_without_sorting_the_open_requests(desk, community_a):
    with schema_context(community_a.schema_name):
        for n in range(5):
            submit(n, last_name=f"Nom{n}")
        queryset = selectors.list_queue(selectors.QueueFilters())[:50]
        sql, params = queryset.query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            # Tiny test tables make a sequential scan cheapest; forbid it to see which index
            # (if any) serves the order the page asks for.
            cursor.execute("SET LOCAL enable_seqscan = off")
            # The same goes for sorting the few rows the statistics of the moment predict
            # (autovacuum may have analysed the table): with sorting priced out, a plan that still
            # sorts means no index gives this order.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort" not in plan, plan
    assert "access_request_open_queue" in plan, plan


def test_the_request_page_still_shows_every_field(desk, community_a, dora_client):
    with schema_context(community_a.schema_name):
        request = submit(1, helper="Sa fille", address="1 rue du Port")
    html = dora_client.get(reverse("access_care:request", args=[request.pk])).text
    assert "Sa fille" in html and "1 rue du Port" in html and "06 12 34 56 78" in html
