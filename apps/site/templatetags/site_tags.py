from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe

from apps.richtext import clean_html

register = template.Library()


@register.filter
def rich(value: str) -> str:
    """Render team-written rich text: sanitised again on the way out (defence in depth)."""
    return mark_safe(clean_html(value))  # noqa: S308 - nh3 output is an allow-list of tags


@register.filter
def fr_number(value) -> str:
    """12345 → « 12 345 » with the locale's thousands separator (French: a narrow no-break space)."""
    try:
        return number_format(value, force_grouping=True)
    except (TypeError, ValueError):
        return ""
