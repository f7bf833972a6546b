"""Uploaded files of a CPTS: local folders in development, an S3 bucket in production.

Either way every name is under the CPTS's own prefix (its schema): ``MEDIA_ROOT/<schema>/…`` with
django-tenants' ``TenantFileSystemStorage``, ``<S3_LOCATION>/<schema>/…`` in the bucket with
``TenantS3Storage``. Code stores and opens files through ``default_storage`` and never needs a
local path, except through ``local_copy`` (a parser that wants a real file).

Serving (``file_response``): views check access exactly as before, then either stream the file
(local disk) or redirect to a short-lived signed URL of the object (S3), so web processes do not
carry the bytes. Private files: ``Cache-Control: private, no-store`` and a URL valid
``S3_SIGNED_URL_SECONDS``; public ones (the site's published images) are cacheable.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PUBLIC_MAX_AGE = 60 * 60


class TenantS3Storage(S3Storage):
    """An S3 (or S3-compatible) bucket with one prefix per CPTS: the current schema's name, as
    ``TenantFileSystemStorage`` uses one folder per schema. Settings come from ``STORAGES``."""

    def __init__(self, **options) -> None:
        self._base_location = ""
        self._public_clients = threading.local()
        super().__init__(**options)

    def get_default_settings(self) -> dict:
        # The address browsers use, when processes reach the server by another one (a compose
        # network's "http://s3:9000"): signed URLs are made for it (the signature covers the host).
        return {**super().get_default_settings(), "public_endpoint_url": ""}

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        if not self.public_endpoint_url:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        client = getattr(self._public_clients, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
            self._public_clients.client = client
        params = {
            **(parameters or {}),
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(clean_name(name)),
        }
        return client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expire or self.querystring_expire, HttpMethod=http_method
        )

    @property
    def location(self) -> str:
        # Read on every call: the same storage object serves every CPTS of a process.
        return "/".join(part for part in (self._base_location, connection.schema_name) if part)

    @location.setter
    def location(self, value: str) -> None:
        self._base_location = (value or "").strip("/")


def is_remote(storage=None) -> bool:
    """Whether files live in object storage (no local path; served by signed URL)."""
    return isinstance(storage or default_storage, S3Storage)


def file_response(
    name: str,
    *,
    filename: str | None = None,
    as_attachment: bool = False,
    content_type: str | None = None,
    public: bool = False,
    storage=None,
) -> HttpResponse:
    """The response serving stored file ``name`` (of the current CPTS) to a visitor the caller has
    already let through. Local storage streams it; object storage redirects to a signed URL that
    expires after ``S3_SIGNED_URL_SECONDS`` (public files: long enough for the cached redirect)."""
    storage = storage or default_storage
    filename = filename or name.rsplit("/", 1)[-1]
    if not is_remote(storage):
        response: HttpResponse = FileResponse(
            storage.open(name, "rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    else:
        parameters = {"ResponseContentDisposition": content_disposition_header(as_attachment, filename)}
        if content_type:
            parameters["ResponseContentType"] = content_type
        if public:
            parameters["ResponseCacheControl"] = f"public, max-age={PUBLIC_MAX_AGE}"
            # The redirect is cached up to PUBLIC_MAX_AGE: the URL it points at must outlive it.
            expire = 2 * PUBLIC_MAX_AGE
        else:
            parameters["ResponseCacheControl"] = "private, no-store"
            expire = settings.S3_SIGNED_URL_SECONDS
        response = HttpResponseRedirect(storage.url(name, parameters=parameters, expire=expire))
    response["X-Content-Type-Options"] = "nosniff"
    if public:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response


@contextmanager
def local_copy(name: str, storage=None) -> Iterator[Path]:
    """A local path holding stored file ``name`` for the duration of the block: the file itself on
    local storage, a temporary download (removed afterwards) from object storage."""
    storage = storage or default_storage
    if not is_remote(storage):
        yield Path(storage.path(name))
        return
    suffix = os.path.splitext(name)[1]
    handle, temporary = tempfile.mkstemp(suffix=suffix, prefix="cpts-")
    try:
        with os.fdopen(handle, "wb") as target, storage.open(name, "rb") as source:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield Path(temporary)
    finally:
        os.unlink(temporary)
