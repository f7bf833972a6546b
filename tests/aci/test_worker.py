"""The annual report is built by a real worker process, in the CPTS's schema and storage."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from apps.aci.models import AnnualReport
from tests.conftest import wait_until

YEAR = timezone.localdate().year - 1


@pytest.mark.worker
def test_a_real_worker_builds_the_annual_report(real_worker, world, django_db_blocker):
    from apps.aci.services import request_annual_report

    with django_db_blocker.unblock():
        with schema_context("alpha"):
            report = request_annual_report(actor=world.alice, year=YEAR)
        try:

            def built():
                with schema_context("alpha"):
                    return AnnualReport.objects.filter(pk=report.pk, status__in=["done", "failed"]).first()

            done = wait_until(built, timeout=60)
            with schema_context("alpha"):
                with default_storage.open(done.pdf_path) as handle:
                    text = " ".join(
                        page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages
                    )
        finally:
            with schema_context("alpha"):
                AnnualReport.objects.filter(pk=report.pk).delete()
            connection.set_schema_to_public()
    assert done.status == "done", done.error + real_worker.log()
    assert f"Rapport d'activité {YEAR}" in text and "CPTS Alpha" in text
    assert done.build_ms is not None
    assert "aci.build_annual_report" in real_worker.log()
