"""Colour checks (WCAG 2.1 contrast) and image intake (Pillow) for the site's branding."""

from __future__ import annotations

import io
import re

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
WCAG_AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
# Pillow refuses images above this many pixels (decompression bombs).
MAX_PIXELS = 40_000_000


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio between two #rrggbb colours (1 to 21)."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_color_on_white(value: str, *, role: str) -> str:
    """Normalise a #rrggbb colour that must carry white text / sit on white with AA contrast.

    Raises ValidationError with a French message giving the measured ratio.
    """
    value = (value or "").strip().lower()
    if not HEX_COLOR.match(value):
        raise ValidationError(_("Saisissez une couleur au format #rrvvbb, par exemple #0b5fa5."))
    ratio = contrast_ratio(value, WHITE)
    if ratio < WCAG_AA_NORMAL_TEXT:
        raise ValidationError(
            _(
                "Contraste insuffisant : %(ratio)s:1 entre cette couleur et le blanc (%(role)s). "
                "Le niveau AA demande au moins 4,5:1 ; choisissez une teinte plus foncée."
            )
            % {"ratio": f"{ratio:.2f}".replace(".", ","), "role": role}
        )
    return value


def process_image(upload, *, max_size: tuple[int, int], name: str, keep_format: bool = False) -> ContentFile:
    """Check an uploaded image (size, real type) and return it resized to fit ``max_size``.

    The output is re-encoded by Pillow (PNG, or JPEG for photos when ``keep_format``), so metadata
    and anything hidden in the original file are dropped. Raises ValidationError in French.
    """
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("Le fichier pèse %(size)s Mo ; la limite est de 2 Mo.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            image_format = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(_("Cette image est trop grande (plus de 40 millions de pixels)."))
            probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("Ce fichier n'est pas une image lisible (PNG, JPEG, WebP ou GIF).")
        ) from error
    if image_format not in ACCEPTED_FORMATS:
        raise ValidationError(_("Format refusé : envoyez une image PNG, JPEG, WebP ou GIF."))
    image.thumbnail(max_size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if keep_format and image_format == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
        extension = "jpg"
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(buffer, format="PNG", optimize=True)
        extension = "png"
    return ContentFile(buffer.getvalue(), name=f"{name}.{extension}")
