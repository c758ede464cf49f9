"""HTML mail bodies to plain text, with blockquotes kept as "> " so quote stripping works.

A small stdlib converter rather than html2text: it is faster on Outlook's Word HTML, never
escapes Markdown characters, and marks Gmail's quoted blocks the way plain-text clients do.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_HTML_CHARS = 400_000

_BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt",
}  # fmt: skip
_SKIP = {"style", "script", "head", "title", "xml"}
_MAILTO_RE = re.compile(
    r"<a\b[^>]*?href\s*=\s*[\"']?mailto:([^\"'?>\s]+)[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL
)
_TAG_RE = re.compile(r"<[^>]+>")


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0  # blockquote nesting
        self.skip = 0

    def _flush(self) -> None:
        line = " ".join("".join(self.current).split())
        prefix = "> " * self.depth
        self.lines.append((prefix + line).rstrip())
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            if tag == "br" or self.current:
                self._flush()
            if tag == "blockquote":
                self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or (tag in _BLOCK and self.current):
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK and tag != "br":
            if self.current or tag == "p":
                self._flush()  # an empty paragraph is how Outlook writes a blank line
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip and (self.current or data.strip()):
            self.current.append(data.replace("\xa0", " "))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body; empty blocks become blank lines."""
    conv = _Converter()
    try:
        conv.feed(html[:MAX_HTML_CHARS])
        conv.close()
    except Exception:  # HTMLParser is lenient, but hostile input must not escape
        return _TAG_RE.sub(" ", html[:MAX_HTML_CHARS])
    if conv.current:
        conv._flush()
    out: list[str] = []
    for line in conv.lines:  # collapse runs of blank lines
        if line.strip(" >") or (out and out[-1].strip(" >")):
            out.append(line)
    return "\n".join(out).strip("\n")


def mailto_links(html: str) -> list[tuple[str, str]]:
    """(link text, address) for every mailto: link, e.g. a referral only linked in HTML."""
    found = []
    for addr, inner in _MAILTO_RE.findall(html[:MAX_HTML_CHARS]):
        text = " ".join(_TAG_RE.sub(" ", inner).split())
        found.append((text, addr.strip().lower()))
    return found[:50]
