"""Writes on the current CPTS's site. Assumes the connection is set to the CPTS's schema.

Every write sanitises rich text, runs in its own transaction and, once committed, invalidates the
CPTS's page cache. Visitor messages are stored, then a worker e-mails the team after commit.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Model, Q, TextField
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image

from apps.audit.log import record
from apps.members.models import Role
from apps.members.permissions import require_role
from apps.richtext import clean_html
from tenants import rate_limit
from tenants.actors import person
from tenants.queue import enqueue_on_commit

from . import pagecache
from .branding import process_image
from .models import (
    EmergencyNumber,
    FaqItem,
    Mission,
    NewsItem,
    Page,
    SiteImage,
    SiteSettings,
    VisitorMessage,
    rich_image_name,
)

logger = logging.getLogger(__name__)

# Visitor messages: at most this many per address and window (Django cache, per CPTS).
MESSAGE_RATE_LIMIT = 5
MESSAGE_RATE_WINDOW = 60 * 10
LOGO_BOX = (512, 256)
FAVICON_BOX = (64, 64)
HERO_BOX = (1920, 1080)
NEWS_IMAGE_BOX = (1600, 1000)
# Widths of the versions of an image inserted in rich text (phone, tablet or column, wide screen).
RICH_IMAGE_WIDTHS = (480, 960, 1600)
RICH_IMAGE_SIZES = "(max-width: 48rem) 100vw, 48rem"
_IMG = re.compile(r"<img\b([^>]*)>", re.I)
# An image uploaded in the editor and never saved into any content is removed after this delay.
ORPHAN_IMAGE_DELAY = timedelta(days=2)

_SRC = re.compile(r'\bsrc="([^"]*)"')
_SIZING = re.compile(r'\s(?:srcset|sizes|width|height|loading|decoding)="[^"]*"')


def upload_rich_image(*, actor, upload) -> SiteImage:
    """Store an image inserted in rich text in each width of RICH_IMAGE_WIDTHS it reaches (re-encoded
    by Pillow: metadata and anything hidden dropped). Team only. Raises ValidationError in French
    (not an image, too large)."""
    require_role(actor, Role.TEAM)
    base = rich_image_name("")
    files, widths, height = [], [], 0
    for width in RICH_IMAGE_WIDTHS:
        content = process_image(upload, max_size=(width, width * 3), name="image", keep_format=True)
        with Image.open(io.BytesIO(content.read())) as image:
            actual, height = image.size
        content.seek(0)
        if widths and actual <= widths[-1]:
            break  # the original is narrower than this width: nothing more to offer
        extension = content.name.rsplit(".", 1)[-1]
        files.append(default_storage.save(f"{base}-{actual}.{extension}", content))
        widths.append(actual)
    with transaction.atomic():
        return SiteImage.objects.create(files=files, widths=widths, height=height, uploaded_by=actor)


def with_renditions(value: str) -> str:
    """Give each image of ``value`` that was uploaded here its ``srcset`` (every stored width),
    ``sizes``, intrinsic size and lazy loading; other images are left as they are."""
    prefix = default_storage.url("")

    def rewrite(match: re.Match) -> str:
        attributes = match.group(1).rstrip("/").rstrip()
        src = _SRC.search(attributes)
        name = src.group(1)[len(prefix) :] if src and src.group(1).startswith(prefix) else ""
        image = SiteImage.objects.filter(files__contains=[name]).first() if name else None
        if image is None:
            return match.group(0)
        attributes = _SIZING.sub("", attributes)
        srcset = ", ".join(
            f"{default_storage.url(f)} {w}w" for f, w in zip(image.files, image.widths, strict=True)
        )
        return (
            f'<img{attributes} srcset="{srcset}" sizes="{RICH_IMAGE_SIZES}" width="{image.widths[-1]}" '
            f'height="{image.height}" loading="lazy" decoding="async">'
        )

    return _IMG.sub(rewrite, value)


def _text_sources() -> list[tuple[type[Model], list[str]]]:
    """Every CPTS table with text columns (rich text of any app: pages, news, events, campaigns…),
    read from the model registry so that content of an app added later counts too."""
    sources = []
    for model in django_apps.get_models():
        if model._meta.app_config.name not in settings.TENANT_APPS or model is SiteImage:
            continue
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, TextField)]
        if fields:
            sources.append((model, fields))
    return sources


def _is_referenced(image: SiteImage, sources) -> bool:
    # The random stem names the image in every width (``site/images/<stem>-<width>.<ext>``).
    stem = image.files[0].rsplit("/", 1)[-1].rsplit("-", 1)[0] if image.files else ""
    if not stem:
        return False
    for model, fields in sources:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__contains": stem})
        if model._default_manager.filter(condition).exists():
            return True
    return False


def sweep_orphan_images(now=None) -> int:
    """Remove the images uploaded in the editor more than ORPHAN_IMAGE_DELAY ago that no saved
    content of this CPTS names (uploaded, then the form was left unsaved); an image found in use is
    marked and never looked at again. Idempotent; rows another sweep holds are skipped. Returns
    how many images were removed."""
    now = now or timezone.now()
    sources = _text_sources()
    removed = 0
    candidates = SiteImage.objects.filter(used_at__isnull=True, uploaded_at__lt=now - ORPHAN_IMAGE_DELAY)
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            image = (
                SiteImage.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, used_at__isnull=True)
                .first()
            )
            if image is None:
                continue
            if _is_referenced(image, sources):
                image.used_at = now
                image.save(update_fields=["used_at"])
                continue
            files = list(image.files)
            image.delete()
            # Files go once the row is gone for good: a failed commit keeps both.
            transaction.on_commit(lambda files=files: _delete_files(files))
            removed += 1
    return removed


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # already gone, or the storage is unreachable: the row is gone either way
            logger.warning("could not delete the orphaned image file %s", name)


def _rich(value: str) -> str:
    return with_renditions(clean_html(value))


def _after_edit() -> None:
    transaction.on_commit(pagecache.invalidate_site)


def unique_slug(model: type[Model], text: str, *, exclude_pk: int | None = None, max_length: int = 80) -> str:
    base = (slugify(text) or "page")[: max_length - 4].strip("-")
    slug, counter = base, 2
    others = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while others.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


def _replace_file(field, content) -> None:
    """Store ``content`` in the file ``field`` and delete the file it replaces, once the row is
    committed (a rolled-back edit keeps the old file, which its row still names)."""
    previous = field.name
    field.save(content.name, content, save=False)
    if previous and previous != field.name:
        storage = field.storage
        transaction.on_commit(lambda: storage.delete(previous))


def _delete_file_on_commit(field) -> None:
    if field:
        name, storage = field.name, field.storage
        transaction.on_commit(lambda: storage.delete(name))


def update_branding(
    *,
    actor,
    site: SiteSettings,
    logo=None,
    favicon=None,
    remove_logo: bool = False,
    remove_favicon: bool = False,
    hero=None,
    remove_hero: bool = False,
) -> SiteSettings:
    """Save the branding row (already validated by the form) with its images resized.

    ``logo``/``favicon``/``hero`` are uploaded files; raises ValidationError (French, keyed by the
    image's field) if they are not images.
    """
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        site.intro = _rich(site.intro)
        site.join_call = _rich(site.join_call)
        if remove_logo and site.logo:
            _delete_file_on_commit(site.logo)
            site.logo = ""
        if remove_favicon and site.favicon:
            _delete_file_on_commit(site.favicon)
            site.favicon = ""
        if logo is not None:
            try:
                processed = process_image(logo, max_size=LOGO_BOX, name="logo")
            except ValidationError as error:
                raise ValidationError({"logo": error.messages}) from error
            _replace_file(site.logo, processed)
        if favicon is not None:
            try:
                processed = process_image(favicon, max_size=FAVICON_BOX, name="favicon")
            except ValidationError as error:
                raise ValidationError({"favicon": error.messages}) from error
            _replace_file(site.favicon, processed)
        if remove_hero and site.hero_image:
            _delete_file_on_commit(site.hero_image)
            site.hero_image = ""
        if hero is not None:
            try:
                processed = process_image(hero, max_size=HERO_BOX, name="hero", keep_format=True)
            except ValidationError as error:
                raise ValidationError({"hero_image": error.messages}) from error
            _replace_file(site.hero_image, processed)
        site.pk = SiteSettings.SINGLETON_ID
        site.save()
        record(actor, "site.branding_changed", site, logo=logo is not None or remove_logo,
               favicon=favicon is not None or remove_favicon)  # fmt: skip
        _after_edit()
    return site


def save_mission(*, actor, mission: Mission) -> Mission:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        mission.body = _rich(mission.body)
        mission.save()
        record(actor, "site.content_saved", mission, kind=str(mission._meta.verbose_name))
        _after_edit()
    return mission


def save_page(*, actor, page: Page) -> Page:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        page.body = _rich(page.body)
        if not page.slug:
            page.slug = unique_slug(Page, page.title, exclude_pk=page.pk)
        page.save()
        record(actor, "site.content_saved", page, kind=str(page._meta.verbose_name))
        _after_edit()
    return page


def delete_page(*, actor, page: Page) -> None:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        record(actor, "site.content_deleted", page, kind=str(page._meta.verbose_name))
        page.delete()
        _after_edit()


def save_faq_item(*, actor, item: FaqItem) -> FaqItem:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        item.answer = _rich(item.answer)
        if item.pk is None and not item.position:
            last = FaqItem.objects.order_by("-position").values_list("position", flat=True).first()
            item.position = (last or 0) + 1
        item.save()
        record(actor, "site.content_saved", item, kind=str(item._meta.verbose_name))
        _after_edit()
    return item


def delete_faq_item(*, actor, item: FaqItem) -> None:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        record(actor, "site.content_deleted", item, kind=str(item._meta.verbose_name))
        item.delete()
        _after_edit()


def move_faq_item(*, actor, item: FaqItem, direction: int) -> None:
    """Swap ``item`` with its neighbour above (direction -1) or below (+1); renumbers 1..n."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        items = list(FaqItem.objects.select_for_update().order_by("position", "id"))
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        target = index + direction
        if 0 <= target < len(items):
            items[index], items[target] = items[target], items[index]
        for position, other in enumerate(items, start=1):
            if other.position != position:
                other.position = position
                other.save(update_fields=["position"])
        record(actor, "site.content_saved", item, kind=str(item._meta.verbose_name), moved=direction)
        _after_edit()


def save_news_item(*, actor, item: NewsItem, image=None, remove_image: bool = False) -> NewsItem:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        item.body = _rich(item.body)
        if not item.slug:
            item.slug = unique_slug(NewsItem, item.title, exclude_pk=item.pk, max_length=120)
        if item.author_id is None:
            item.author = person(actor)
        if remove_image and item.image:
            _delete_file_on_commit(item.image)
            item.image = ""
        if image is not None:
            try:
                processed = process_image(image, max_size=NEWS_IMAGE_BOX, name="image", keep_format=True)
            except ValidationError as error:
                raise ValidationError({"image": error.messages}) from error
            _replace_file(item.image, processed)
        item.save()
        record(actor, "site.content_saved", item, kind=str(item._meta.verbose_name))
        _after_edit()
    return item


def delete_news_item(*, actor, item: NewsItem) -> None:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        _delete_file_on_commit(item.image)
        record(actor, "site.content_deleted", item, kind=str(item._meta.verbose_name))
        item.delete()
        _after_edit()


def save_number(*, actor, number: EmergencyNumber) -> EmergencyNumber:
    """Save a local number. National numbers are reference data: only their visibility changes."""
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        if number.pk and number.is_national:
            EmergencyNumber.objects.filter(pk=number.pk).update(is_visible=number.is_visible)
        else:
            number.is_national = False
            number.save()
        record(actor, "site.content_saved", number, kind=str(number._meta.verbose_name))
        _after_edit()
    return number


def delete_number(*, actor, number: EmergencyNumber) -> None:
    require_role(actor, Role.TEAM)
    if number.is_national:
        raise ValidationError(_("Un numéro national ne peut pas être supprimé ; vous pouvez le masquer."))
    with transaction.atomic():
        record(actor, "site.content_deleted", number, kind=str(number._meta.verbose_name))
        number.delete()
        _after_edit()


def submit_visitor_message(
    *, kind: str, name: str, email: str, subject: str, body: str, client_ip: str
) -> VisitorMessage:
    """Store a message from the contact form or the idea box and have a worker e-mail the team.

    Raises RateLimited past MESSAGE_RATE_LIMIT messages per address in MESSAGE_RATE_WINDOW.
    """
    rate_limit.hit("site:msg", client_ip, limit=MESSAGE_RATE_LIMIT, window=MESSAGE_RATE_WINDOW)
    with transaction.atomic():
        message = VisitorMessage.objects.create(
            kind=kind, name=name.strip(), email=email.strip(), subject=subject.strip(), body=body.strip()
        )
        enqueue_on_commit("site.notify_message", connection.schema_name, message.pk)
    return message


def mark_message_handled(*, actor, message: VisitorMessage, handled: bool = True) -> VisitorMessage:
    require_role(actor, Role.TEAM)
    with transaction.atomic():
        message.handled_at = timezone.now() if handled else None
        message.save(update_fields=["handled_at"])
        # By id: the message holds a visitor's name and address.
        record(actor, "site.message_handled", None, message=message.pk, handled=handled)
    return message
