"""The mail-client checker catches what Gmail, Outlook and Apple Mail would strip or block."""

from __future__ import annotations

import pytest

from coffeechat.domain.html_check import check_email_html, style_block_problems

HEAD = '<!DOCTYPE html><html><head><meta name="color-scheme" content="light dark"></head><body>'
TAIL = "</body></html>"


def problems(body: str, allowed: tuple[str, ...] = ()) -> list[str]:
    return [p.message for p in check_email_html(HEAD + body + TAIL, allowed)]


def test_a_clean_table_layout_passes() -> None:
    body = (
        '<table role="presentation" width="100%"><tr><td style="padding:8px;color:#222;'
        'background-color:#fff;font-family:Arial,sans-serif">Hi <a href="mailto:a@example.com">'
        'a@example.com</a> <a href="https://meet.example.com/x">join</a></td></tr></table>'
    )
    assert problems(body, ("https://meet.example.com/x",)) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ('<img src="https://tracker.example.com/p.gif">', "loads a resource"),
        ('<img src="data:image/png;base64,AAAA">', "loads a resource"),
        ('<link rel="stylesheet" href="https://cdn.example.com/a.css">', "<link"),
        ('<a href="https://evil.example.com/">x</a>', "not on the allowed list"),
        ('<a href="javascript:void(0)">x</a>', "script URL"),
        ('<td onclick="x()">x</td>', "event handler"),
        ('<div style="position:absolute;top:0">x</div>', "position"),
        ('<div style="display:flex">x</div>', "flex/grid"),
        ('<div style="display: grid">x</div>', "flex/grid"),
        ('<td style="color:var(--fg)">x</td>', "variables"),
        ('<td style="background:url(https://x.example.com/bg.png)">x</td>', "url()"),
        ("<style>@import url(https://fonts.googleapis.com/css?family=Inter);</style>", "@import"),
        ("<style>@font-face { font-family: X; src: local(X); }</style>", "@font-face"),
        ("<style>.a { display: flex; }</style>", "flex/grid"),
        ("<style>:root { --fg: #000; }</style>", "custom properties"),
        ("<style>.card { padding: 12px; }</style>", "inline it instead"),
        ("<style>@media (max-width: 600px) { .a { color: red; } }</style>", "@media"),
        ("<iframe></iframe>", "<iframe>"),
        ("<form></form>", "<form>"),
    ],
)
def test_a_bad_sample_is_caught(body: str, expected: str) -> None:
    found = problems(body)
    assert any(expected in p for p in found), found


def test_dark_mode_colour_overrides_are_allowed() -> None:
    css = (
        ":root { color-scheme: light dark; supported-color-schemes: light dark; }\n"
        "@media (prefers-color-scheme: dark) {\n"
        "  .cc-card { background-color: #201b17 !important; border-color: #333 !important; }\n"
        "  .cc-text { color: #eee !important; }\n}"
    )
    assert style_block_problems(css) == []


def test_missing_doctype_and_colour_scheme_are_reported() -> None:
    found = [p.message for p in check_email_html("<html><body>x</body></html>")]
    assert any("DOCTYPE" in p for p in found)
    assert any("color-scheme" in p for p in found)


def test_problems_carry_line_numbers() -> None:
    html = HEAD + "\n\n<script></script>" + TAIL
    (problem,) = check_email_html(html)
    assert problem.line == 3
    assert str(problem).startswith("line 3: ")
