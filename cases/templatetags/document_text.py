"""Line-breaking helpers of the printed documents (no web imports: Celery renders them)."""

from __future__ import annotations

from django import template

register = template.Library()

NBSP = "\u00a0"


@register.filter
def unbroken(text: str) -> str:
    """Keep a name or a title on one line: "Chủ tịch" never splits into "Chủ / tịch"."""
    return NBSP.join((text or "").split())


@register.filter
def post_unbroken(post: str, unit_name: str) -> str:
    """The post with its title kept on one line; the unit's name may wrap (FMT30-5b)."""
    post = post or ""
    if unit_name and post.endswith(unit_name):
        title = post[: -len(unit_name)].strip()
        if title:
            return f"{unbroken(title)} {unit_name}"
    return post
