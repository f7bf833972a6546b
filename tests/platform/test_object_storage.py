"""Files in object storage: the platform's own code against a real S3-compatible server (moto's
server mode, started by infra/dev/runtime.py on loopback), through real boto3 calls and HTTP.

Per-CPTS prefixes in the bucket, private files redirected to short-lived signed URLs only after the
same access checks as on local disk, public site images cacheable, and workers reading stored
files through a local copy."""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
import uuid
import zipfile
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.storage import storages as django_storages
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from apps.aci.models import AnnualReport
from apps.compliance import exports
from apps.working_groups import services as groups
from tenants.storage import TenantS3Storage, local_copy
from tests.conftest import HOST_A, HOST_B
from workers.aci import build_annual_report_task

ENDPOINT = os.environ.get("LOCAL_S3_ENDPOINT_URL", "")
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "eu-west-3"}


@pytest.fixture(scope="module")
def bucket() -> str:
    assert ENDPOINT, "LOCAL_S3_ENDPOINT_URL is set by infra/dev/runtime.py (moto's server mode)"
    name = f"cpts-test-{uuid.uuid4().hex[:12]}"
    client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return name


def client():
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="eu-west-3",
    )


@pytest.fixture
def s3(bucket):
    """The platform configured as settings/base.py does when S3_BUCKET is set."""
    options = {
        "bucket_name": bucket,
        "endpoint_url": ENDPOINT,
        "location": "media",
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
        "default_acl": None,
        "signature_version": "s3v4",
        "addressing_style": "path",
        **CREDENTIALS,
    }
    storages = {
        "default": {"BACKEND": "tenants.storage.TenantS3Storage", "OPTIONS": options},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, S3_SIGNED_URL_SECONDS=120):
        assert isinstance(django_storages["default"], TenantS3Storage)
        yield bucket


def keys(bucket: str) -> set[str]:
    return {item["Key"] for item in client().list_objects_v2(Bucket=bucket).get("Contents", [])}


def fetch(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback test server
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


def test_files_land_in_the_bucket_under_each_cpts_own_prefix(world, db, s3):
    with schema_context("alpha"):
        name = default_storage.save("notes/compte-rendu.txt", ContentFile(b"alpha only"))
    assert f"media/alpha/{name}" in keys(s3)
    with schema_context("beta"):
        assert not default_storage.exists(name)
    with schema_context("alpha"):
        assert default_storage.open(name).read() == b"alpha only"
        again = default_storage.save("notes/compte-rendu.txt", ContentFile(b"second"))
    assert again != name  # never overwritten, as on local disk


def test_a_private_document_is_a_short_lived_signed_redirect_after_the_access_checks(
    world, db, s3, alice, bob, charlie, client_as
):
    with schema_context("alpha"):
        group = groups.create_group(
            actor=alice, data={"name": "Parcours diabète", "lead": bob}, member_ids=[alice.pk]
        )
        document = groups.add_document(
            actor=bob, group=group, title="Protocole", file=ContentFile(b"%PDF-1.4 s3", name="protocole.pdf")
        )
    assert f"media/alpha/{document.file.name}" in keys(s3)
    path = f"/groupes-de-travail/{group.pk}/documents/{document.pk}/"

    response = client_as(bob, HOST_A).get(path)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert location.startswith(f"{ENDPOINT}/{s3}/media/alpha/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert query["response-content-disposition"] == ['attachment; filename="protocole.pdf"']
    status, body, headers = fetch(location)
    assert (status, body) == (200, b"%PDF-1.4 s3")
    assert headers["content-disposition"] == 'attachment; filename="protocole.pdf"'

    # The object itself is not readable without a signature.
    assert fetch(location.split("?", 1)[0])[0] == 403
    # Someone of another CPTS, or nobody, never gets a URL.
    other = client_as(charlie, HOST_B).get(path)
    assert other.status_code == 404
    anonymous = Client(HTTP_HOST=HOST_A).get(path)
    assert anonymous.status_code == 302 and ENDPOINT not in anonymous["Location"]


def test_a_published_site_image_is_a_cacheable_redirect(world, db, s3):
    from apps.site.models import SiteSettings
    from apps.site.selectors import file_url

    with schema_context("alpha"):
        row, _ = SiteSettings.objects.get_or_create(pk=SiteSettings.SINGLETON_ID)
        row.logo.save("logo.png", ContentFile(b"\x89PNG fake logo"), save=True)
        url = file_url(row.logo)
    assert url.startswith("/media/alpha/site/logo/")
    assert f"media/alpha/{row.logo.name}" in keys(s3)

    response = Client(HTTP_HOST=HOST_A).get(url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "public, max-age=3600"
    location = response["Location"]
    status, body, headers = fetch(location)
    assert (status, body) == (200, b"\x89PNG fake logo")
    assert headers["cache-control"] == "public, max-age=3600"
    assert headers["content-type"] == "image/png"
    # Another CPTS's host does not serve alpha's files, in the bucket or not.
    assert Client(HTTP_HOST=HOST_B).get(url).status_code == 404


def test_a_worker_reads_a_stored_file_through_a_local_copy_removed_afterwards(world, db, s3):
    with schema_context("beta"):
        name = default_storage.save("directory/imports/rpps.txt", ContentFile(b"a|b|c\n1|2|3\n"))
        with local_copy(name) as path:
            assert path.read_bytes() == b"a|b|c\n1|2|3\n"
        assert not path.exists()


def test_signed_urls_use_the_public_endpoint_when_processes_reach_the_server_by_another(world, db, s3):
    public = ENDPOINT.replace("127.0.0.1", "localhost")
    storage = TenantS3Storage(
        bucket_name=s3, endpoint_url=ENDPOINT, public_endpoint_url=public, location="media", **CREDENTIALS
    )
    with schema_context("alpha"):
        name = storage.save("notes/public-endpoint.txt", ContentFile(b"via localhost"))
        url = storage.url(name, expire=60)
    assert url.startswith(f"{public}/{s3}/media/alpha/notes/")
    assert fetch(url)[:2] == (200, b"via localhost")


def test_the_aci_report_worker_writes_its_files_to_the_bucket(world, db, s3, alice):
    year = timezone.localdate().year - 1
    with schema_context("alpha"):
        report = AnnualReport.objects.create(year=year, requested_by=alice)
        assert build_annual_report_task.apply(args=("alpha", report.pk)).get() == "built"
        report.refresh_from_db()
        with default_storage.open(report.pdf_path, "rb") as handle:
            pdf = PdfReader(io.BytesIO(handle.read()))
    assert str(year) in pdf.pages[0].extract_text()
    stored = keys(s3)
    for path in (report.pdf_path, report.csv_path, report.xlsx_path):
        assert f"media/alpha/{path}" in stored
    with schema_context("beta"):
        assert not default_storage.exists(report.pdf_path)


def test_a_personal_data_archive_is_built_into_the_bucket_and_served_signed(
    world, db, s3, bob, charlie, client_as, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_personal_export(actor=bob)
    export.refresh_from_db()
    assert export.status == "ready"
    assert f"media/public/{export.file_name}" in keys(s3)
    link = f"/mon-espace/mes-donnees/archive/{export.pk}/"
    response = client_as(bob, HOST_A).get(link)
    assert response.status_code == 302
    status, body, _headers = fetch(response["Location"])
    assert status == 200
    assert zipfile.ZipFile(io.BytesIO(body)).read("donnees.json")
    assert client_as(charlie, HOST_B).get(link).status_code == 404
