"""Does an HTML email survive Gmail, Outlook and Apple Mail? A strict, stdlib-only checker.

Those clients strip scripts, block remote images, and drop most of ``<style>``: Gmail removes
blocks it cannot parse, desktop Outlook renders with Word and ignores positioning, flex, grid and
CSS variables. So the rule here is that the layout lives in inline styles and table cells, and a
``<style>`` block may only hold colour overrides for dark mode (nice to have, safe to lose).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

#: Attributes that load something, or navigate somewhere.
_URL_ATTRS = frozenset({"src", "href", "background", "poster", "srcset", "action", "data"})
_FORBIDDEN_TAGS = {
    "script": "<script> is stripped by every mail client",
    "iframe": "<iframe> is stripped by every mail client",
    "object": "<object> is stripped by every mail client",
    "embed": "<embed> is stripped by every mail client",
    "form": "<form> is disabled or stripped by most mail clients",
    "video": "<video> plays almost nowhere in mail",
    "audio": "<audio> plays almost nowhere in mail",
    "base": "<base> is ignored and breaks relative links",
}
#: CSS that Gmail or Outlook drop (in inline styles or style blocks).
_BAD_CSS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"@import", re.I), "@import is dropped (external stylesheet)"),
    (re.compile(r"@font-face", re.I), "@font-face is dropped (web fonts)"),
    (re.compile(r"(?<![-\w])position\s*:", re.I), "position is dropped by Gmail and Outlook"),
    (re.compile(r"display\s*:\s*(inline-)?(flex|grid)", re.I), "flex/grid is ignored by Outlook"),
    (re.compile(r"var\s*\(", re.I), "CSS variables are dropped by Gmail and Outlook"),
    (re.compile(r"(?<![\w-])--[\w-]+\s*:", re.I), "CSS custom properties are dropped"),
    (re.compile(r"url\s*\(", re.I), "url() loads a remote resource or is dropped"),
    (re.compile(r"expression\s*\(|behavior\s*:", re.I), "IE expressions are never allowed"),
    (re.compile(r"fonts\.googleapis|use\.typekit", re.I), "external fonts are dropped"),
)
#: What a <style> block may contain: dark-mode colour overrides and the colour-scheme hint.
_STYLE_OK_PROPS = frozenset(
    {
        "color",
        "background-color",
        "background",
        "border-color",
        "color-scheme",
        "supported-color-schemes",
        "border-left-color",
        "border-top-color",
        "border-bottom-color",
    }
)
_AT_RULE = re.compile(r"@([\w-]+)\s*([^{;]*)")


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class _Checker(HTMLParser):
    def __init__(self, allowed_links: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed_links
        self.problems: list[Problem] = []
        self._in_style = False
        self._style_line = 0
        self._style_text: list[str] = []

    def _add(self, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(line if line is not None else self.getpos()[0], message))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self._add(_FORBIDDEN_TAGS[tag])
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "link":
            self._add(f"<link rel={values.get('rel', '')}> loads an external resource")
        if tag == "style":
            self._in_style, self._style_line, self._style_text = True, self.getpos()[0], []
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self._add("<meta http-equiv=refresh> is not allowed")
        for name, value in values.items():
            if name.startswith("on"):
                self._add(f"event handler {name}= is stripped (scripts never run in mail)")
            elif name in _URL_ATTRS:
                self._check_url(tag, name, value.strip())
            elif name == "style":
                for problem in css_problems(value):
                    self._add(f"<{tag} style>: {problem}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def _check_url(self, tag: str, attr: str, url: str) -> None:
        low = url.lower()
        if low.startswith("javascript:") or low.startswith("vbscript:"):
            self._add(f"<{tag} {attr}> uses a script URL")
        elif attr != "href" and low.startswith(("http:", "https:", "//", "data:", "cid:")):
            self._add(f"<{tag} {attr}={url!r}> loads a resource (images and media are blocked)")
        elif (
            attr == "href" and low.startswith(("http:", "https:", "//")) and url not in self.allowed
        ):
            self._add(f"<a href={url!r}> is an external link not on the allowed list")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._in_style:
            self._in_style = False
            for problem in style_block_problems("".join(self._style_text)):
                self._add(f"<style>: {problem}", self._style_line)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._style_text.append(data)


def css_problems(css: str) -> list[str]:
    """What in a piece of CSS Gmail or Outlook would drop or refuse."""
    return [why for pattern, why in _BAD_CSS if pattern.search(css)]


def style_block_problems(css: str) -> list[str]:
    """A <style> block may only hold dark-mode colour overrides (losing it must not matter)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    problems = css_problems(css)
    for name, rest in _AT_RULE.findall(css):
        if name.lower() != "media" or "prefers-color-scheme" not in rest.lower():
            problems.append(f"@{name} {rest.strip()} is not kept by every client")
    for decl in re.findall(r"\{([^{}]*)\}", css):
        for prop in (p.split(":", 1)[0].strip().lower() for p in decl.split(";") if ":" in p):
            if prop not in _STYLE_OK_PROPS:
                problems.append(f"{prop} in a <style> block: Gmail may drop it; inline it instead")
    return problems


def check_email_html(html: str, allowed_links: Iterable[str] = ()) -> list[Problem]:
    """Every problem found; an empty list means the HTML is safe to send.

    ``allowed_links`` are the http(s) hrefs the sender meant (e.g. a meeting link); mailto:
    links are always fine. Nothing may be loaded from anywhere.
    """
    checker = _Checker(frozenset(allowed_links))
    checker.feed(html)
    checker.close()
    if checker._in_style:
        checker._add("unclosed <style>", checker._style_line)
    if "<!doctype" not in html[:200].lower():
        checker._add("no <!DOCTYPE html>: some clients fall back to quirks mode", 1)
    if 'name="color-scheme"' not in html:
        checker._add('no <meta name="color-scheme">: dark-mode clients may invert colours', 1)
    return checker.problems
