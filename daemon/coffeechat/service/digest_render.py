"""Rendering the digest: the sandboxed templates, the subject, the text and HTML parts.

No store access: given the data and settings it renders, so the CLI preview, the screenshots
script and the queue all render through here.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from coffeechat.domain import digest as d
from coffeechat.domain.compose import Party, compose, make_message_id
from coffeechat.resources import templates_dir
from coffeechat.settings import Settings


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


def _environment(settings: Settings, zone: ZoneInfo, now: datetime) -> SandboxedEnvironment:
    """A sandboxed environment over the owner's template dir, then ours.

    TODO(lead): fold into coffeechat.templating once it exists, so every template shares one.
    """
    dirs: list[Path] = []
    if settings.templates.dir is not None:
        dirs.append(settings.templates.dir)
    dirs.append(templates_dir())
    env = SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(p)) for p in dirs]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

    def local(value: datetime) -> datetime:
        return value.astimezone(zone)

    def day(value: datetime | date) -> str:
        return d.relative_day(value, zone, now)

    def when(value: datetime | None) -> str:
        return d.when_label(value, zone, now)

    def wrap(text: str, indent: int = 0, width: int = 76) -> str:
        """Fill to ``width`` columns, every line but the first indented (it follows a label)."""
        pad = " " * indent
        paras = [
            textwrap.fill(para, width=width, initial_indent=pad, subsequent_indent=pad)
            for para in str(text).splitlines()
            if para.strip()
        ]
        return "\n".join(paras)[indent:]

    env.filters.update(
        local=local,
        day=day,
        when=when,
        wrap=wrap,
        hm=lambda v, z=None: f"{v.astimezone(ZoneInfo(z) if z else zone):%H:%M}",
        zone_name=lambda v: v.tzname() or "",
        plural=lambda n, one="", many="s": one if n == 1 else many,
        upfirst=lambda text: text[:1].upper() + text[1:],
        sent_label=lambda kind: d.SENT_LABELS.get(kind, kind.replace("_", " ")),
    )
    env.globals.update(bar_percent=d.bar_percent, titles=d.NEED_TITLES)
    return env


def render_digest(data: d.DigestData, settings: Settings) -> RenderedDigest:
    """Subject, plain text and HTML from the packaged templates (or the owner's copies)."""
    zone = ZoneInfo(data.owner_zone)
    env = _environment(settings, zone, data.now)
    subject = d.subject_line(data)
    context = {
        "d": data,
        "subject": subject,
        "stage_top": max([s.count for s in data.pipeline] or [0]),
        "links": allowed_links(data),
    }
    text = env.get_template("digest/digest.txt").render(context)
    html = env.get_template("digest/digest.html").render(context)
    return RenderedDigest(subject=subject, text=text, html=html)


def allowed_links(data: d.DigestData) -> frozenset[str]:
    """The only http(s) links the HTML may hold: meeting links the owner configured."""
    return frozenset(m.location for m in data.meetings if m.location_is_link)


def build_digest_message(
    data: d.DigestData, settings: Settings, now: datetime, *, message_id: str | None = None
) -> EmailMessage:
    """multipart/alternative, from and to the owner, marked Auto-Submitted."""
    rendered = render_digest(data, settings)
    owner = Party(settings.owner.name, settings.owner.email)
    return compose(
        sender=owner,
        to=[owner],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=now,
        message_id=message_id or make_message_id(settings.owner.email),
        auto_submitted=True,
    )


def digest_as_text(rendered: RenderedDigest) -> str:
    """What `--print` shows: the subject line, then the plain-text part."""
    return f"Subject: {rendered.subject}\n\n{rendered.text}"
