"""Student-written HTML never reaches the instructor's browser as markup.

A hand-graded markdown answer is rendered by nbgrader's formgrader and feedback
templates with ``cell.source | markdown2html | strip_files_prefix`` and nothing else: a
``<script>`` or an ``onerror=`` in the answer runs on the instructor's Jupyter origin
(with the instructor's token). ``nbgrader_config.py`` replaces the template filter
``strip_files_prefix`` (``c.HTMLExporter.filters``) by ``clean_markdown_html``, which
does the same and then keeps only the markup that rendered markdown needs: no
scripts, event handlers, styles, forms, frames or ``javascript:`` links; images only
from ``data:image/`` or relative paths. Raw cells and outputs are cleaned by nbconvert
itself (``c.HTMLExporter.sanitize_html``).
"""
from __future__ import annotations

import bleach
from nbconvert.filters import strip_files_prefix

TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em", "h1",
        "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
LINK_SCHEMES = ("http://", "https://", "mailto:", "#")


def _relative(value: str) -> bool:
    return ":" not in value.split("/", 1)[0] and not value.startswith("//")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "id", "title", "alt"):
        return True
    if tag == "a" and name == "href":
        return value.lower().startswith(LINK_SCHEMES) or _relative(value)
    if tag == "img" and name == "src":
        return value.lower().startswith("data:image/") or _relative(value)
    return tag in ("td", "th") and name in ("colspan", "rowspan", "align")


def clean_markdown_html(html: str) -> str:
    """``strip_files_prefix`` of nbconvert, then only safe markup (the rest is escaped)."""
    return bleach.clean(strip_files_prefix(html), tags=TAGS, attributes=_allowed_attribute,
                        protocols=["http", "https", "mailto", "data"], strip_comments=True)
