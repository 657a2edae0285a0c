"""Article Markdown → HTML that is safe to show: markdown-it-py with raw HTML off (tags are escaped, not
passed through) and its link check on (javascript:, vbscript:, file: and data: links other than images are
not turned into links). Tables and strikethrough are on: policies are often tables of fees and hours."""
from __future__ import annotations

import html
import re
from functools import lru_cache

from markdown_it import MarkdownIt

_TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"])


def to_html(markdown: str) -> str:
    return _md().render(markdown)


def snippet(markdown: str, n: int = 90) -> str:
    """The first words of the body as plain text, for the pop's hint list: the rendered HTML's text
    (markdown-it's own output, so stripping its tags is safe), whitespace collapsed."""
    text = " ".join(html.unescape(_TAG.sub("", to_html(markdown))).split())
    return text if len(text) <= n else text[: n - 1] + "…"
