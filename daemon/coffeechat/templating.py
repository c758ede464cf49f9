"""Email templates: sandboxed Jinja2 where a missing field is an error, never a hole in an email.

A template is ``NAME.txt``: a ``Subject:`` line, a blank line, then the plain-text body (see
templates/README.md). An optional ``NAME.html`` beside it is the HTML alternative, autoescaped.
A file in the user's ``[templates] dir`` replaces the packaged one of the same name.
Templates are user-editable text, so they run sandboxed: no attribute games, no imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from coffeechat.domain.compose import HeaderValueError, check_header_value
from coffeechat.resources import templates_dir

#: Every template the daemon renders; ``check_templates`` tries each of them.
TEMPLATE_NAMES = (
    "outreach",
    "referral_outreach",
    "followup",
    "offer_slots",
    "confirmation",
    "reschedule",
    "cancellation",
    "thank_you",
    "keep_in_touch",
)
_HEADER = re.compile(r"^Subject:[ \t]?(.*)$", re.IGNORECASE)
_FIELD = re.compile(r"no field '([^']+)'")


class TemplateError(Exception):
    """A template cannot be used; ``template`` names it, ``field`` the missing field if any."""

    def __init__(self, template: str, message: str, field: str | None = None) -> None:
        super().__init__(f"template {template!r}: {message}")
        self.template = template
        self.field = field


class TemplateFieldError(TemplateError):
    """The template names a field the context does not have."""


@dataclass(frozen=True)
class Rendered:
    name: str
    subject: str
    text: str
    html: str | None = None


class _Fields(dict[str, Any]):
    """A context mapping that knows its dotted path, so errors name ``contact.first_name``."""

    _cc_path: str = ""


class _FieldUndefined(jinja2.StrictUndefined):
    @property
    def _undefined_message(self) -> str:
        obj = self._undefined_obj
        parent = getattr(obj, "_cc_path", "") if obj is not jinja2.utils.missing else ""
        name = f"{parent}.{self._undefined_name}" if parent else str(self._undefined_name)
        return f"no field {name!r}"


def _wrap(value: Any, path: str = "") -> Any:
    if isinstance(value, Mapping):
        out = _Fields(
            {str(k): _wrap(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        )
        out._cc_path = path
        return out
    if isinstance(value, list | tuple):
        return [_wrap(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


class Templates:
    """The loaded template set: the user's directory first, then the packaged defaults."""

    def __init__(self, user_dir: Path | None = None, packaged_dir: Path | None = None) -> None:
        self.user_dir = user_dir
        self.packaged_dir = packaged_dir or templates_dir()
        search = [str(d) for d in (user_dir, self.packaged_dir) if d is not None]
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(search),
            undefined=_FieldUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "htm"), default_for_string=False, default=False
            ),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._compiled: dict[str, tuple[jinja2.Template, jinja2.Template, str]] = {}

    def path_of(self, name: str) -> Path:
        """The file that ``name`` comes from (the user's copy when there is one)."""
        for d in (self.user_dir, self.packaged_dir):
            if d is not None and (d / f"{name}.txt").is_file():
                return d / f"{name}.txt"
        raise TemplateError(name, f"no {name}.txt in {self._where()}")

    def _where(self) -> str:
        return " or ".join(str(d) for d in (self.user_dir, self.packaged_dir) if d is not None)

    def _load(self, name: str) -> tuple[jinja2.Template, jinja2.Template, str]:
        if name in self._compiled:
            return self._compiled[name]
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise TemplateError(name, "template names are lower-case letters, digits and _")
        assert self.env.loader is not None
        try:
            source, _filename, _uptodate = self.env.loader.get_source(self.env, f"{name}.txt")
        except jinja2.TemplateNotFound:
            raise TemplateError(name, f"no {name}.txt in {self._where()}") from None
        lines = source.replace("\r\n", "\n").split("\n")
        if not lines or not _HEADER.match(lines[0]):
            raise TemplateError(name, "the first line must be 'Subject: ...'")
        subject_src = _HEADER.match(lines[0]).group(1)  # type: ignore[union-attr]
        if len(lines) < 2 or lines[1].strip():
            raise TemplateError(name, "a blank line must follow the Subject line")
        # Keep line numbers true in error messages: the body starts on line 3.
        body_src = "\n\n" + "\n".join(lines[2:])
        try:
            subject = self.env.from_string(subject_src)
            body = self.env.from_string(body_src)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(name, f"line {exc.lineno}: {exc.message}") from None
        self._compiled[name] = (subject, body, subject_src + "\n" + body_src)
        return self._compiled[name]

    def _html(self, name: str) -> jinja2.Template | None:
        try:
            return self.env.get_template(f"{name}.html")
        except jinja2.TemplateNotFound:
            return None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(name, f"{name}.html line {exc.lineno}: {exc.message}") from None

    def render(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """Render one template. Raises TemplateFieldError naming a missing field, or
        TemplateError (also for a subject that would hold a line break)."""
        subject_t, body_t, _src = self._load(name)
        ctx = _wrap(dict(context))
        try:
            subject = subject_t.render(ctx).strip()
            text = body_t.render(ctx)
            html_t = self._html(name)
            html = html_t.render(ctx) if html_t is not None else None
        except jinja2.UndefinedError as exc:
            m = _FIELD.search(str(exc))
            field = m.group(1) if m else None
            raise TemplateFieldError(
                name, f"uses the field {field or str(exc)!r}, which this email does not have", field
            ) from None
        except jinja2.exceptions.SecurityError as exc:
            raise TemplateError(name, f"not allowed in a template: {exc}") from None
        except jinja2.TemplateError as exc:
            raise TemplateError(name, str(exc)) from None
        try:
            check_header_value("Subject", subject)
        except HeaderValueError as exc:
            raise TemplateError(name, str(exc)) from None
        if not subject:
            raise TemplateError(name, "the subject is empty")
        return Rendered(name=name, subject=subject, text=_tidy(text), html=html)

    def check(self, samples: Sequence[Mapping[str, Any]] | None = None) -> list[TemplateError]:
        """Load and test-render every template; the problems found (empty: all good)."""
        problems: list[TemplateError] = []
        for name in TEMPLATE_NAMES:
            try:
                _s, _b, source = self._load(name)
                self._static_check(name, source)
                for ctx in samples or sample_contexts():
                    self.render(name, ctx)
            except TemplateError as exc:
                problems.append(exc)
        return problems

    def _static_check(self, name: str, source: str) -> None:
        """Fields named in branches the samples do not reach are still checked here."""
        sample = sample_contexts()[0]
        ast = self.env.parse(source)
        for path in sorted(_field_paths(ast)):
            problem = _missing(sample, path)
            if problem:
                raise TemplateFieldError(
                    name, f"uses the field {problem!r}, which no email has", problem
                )


def _tidy(text: str) -> str:
    """Strip trailing spaces and blank lines; exactly one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip("\n")
    return out + "\n"


def _field_paths(ast: nodes.Template) -> set[str]:
    declared = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    paths: set[str] = set()
    for node in ast.find_all(nodes.Getattr):
        parts: list[str] = [node.attr]
        inner: nodes.Node = node.node
        while isinstance(inner, nodes.Getattr):
            parts.append(inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name) and inner.name not in declared:
            paths.add(".".join([inner.name, *reversed(parts)]))
    for name in ast.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in declared:
            paths.add(name.name)
    return paths


def _missing(sample: Mapping[str, Any], path: str) -> str | None:
    current: Any = sample
    walked: list[str] = []
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None  # a method of a str/list (e.g. .upper); the render check covers it
        walked.append(part)
        if part not in current:
            return ".".join(walked)
        current = current[part]
    return None


# ---------------------------------------------------------------- loading and caching

_cache: dict[tuple[str, str], tuple[tuple[tuple[str, int], ...], Templates]] = {}


def _fingerprint(user_dir: Path | None) -> tuple[tuple[str, int], ...]:
    """Names and mtimes of the owner's template files: a fixed template is seen at once."""
    if user_dir is None or not user_dir.is_dir():
        return ()
    return tuple(sorted((str(p), p.stat().st_mtime_ns) for p in user_dir.rglob("*") if p.is_file()))


def templates_for(user_dir: Path | None) -> Templates:
    """The template set for a user directory, reloaded when one of the owner's files changes
    (the packaged ones only change with a new version)."""
    key = (str(user_dir or ""), str(templates_dir()))
    stamp = _fingerprint(user_dir)
    cached = _cache.get(key)
    if cached is None or cached[0] != stamp:
        cached = (stamp, Templates(user_dir))
        _cache[key] = cached
    return cached[1]


def render(name: str, context: Mapping[str, Any], *, user_dir: Path | None = None) -> Rendered:
    """Render ``name`` with the user's templates over the packaged ones."""
    return templates_for(user_dir).render(name, context)


def check_templates(user_dir: Path | None = None) -> list[TemplateError]:
    """For ``coffeechat templates check``: every problem, each naming template and field."""
    return Templates(user_dir).check()


# ---------------------------------------------------------------- building the context


def first_name(name: str) -> str:
    parts = name.strip().split()
    return parts[0] if parts else ""


def format_when(at: datetime, zone: ZoneInfo) -> str:
    """'Tuesday 14 October, 10:00 (CEST)': unambiguous, in one zone."""
    local = at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M} ({local.tzname()})"


def owner_context(name: str, email: str, signature: str) -> dict[str, Any]:
    sig = signature.strip("\n") or name
    return {"name": name, "first_name": first_name(name), "email": email, "signature": sig}


def contact_context(
    *,
    name: str,
    email: str,
    company: str = "",
    role: str = "",
    how_found: str = "",
    referred_by: str = "",
) -> dict[str, Any]:
    return {
        "name": name or email,
        "first_name": first_name(name) or "there",
        "email": email,
        "company": company,
        "role": role,
        "how_found": how_found,
        "referred_by": referred_by,
        "referred_by_first_name": first_name(referred_by),
    }


def meeting_context(
    start: datetime | None,
    end: datetime | None,
    *,
    location: str,
    owner_zone: ZoneInfo,
    contact_zone: ZoneInfo | None,
) -> dict[str, Any]:
    """Start in both zones (the contact's first) so nobody converts in their head."""
    if start is None or end is None:
        return {
            "start_contact": "",
            "start_owner": "",
            "when": "",
            "location": location,
            "minutes": 0,
            "same_zone": True,
        }
    theirs = contact_zone or owner_zone
    same = (
        theirs.key == owner_zone.key
        or start.astimezone(theirs).utcoffset() == start.astimezone(owner_zone).utcoffset()
    )
    start_contact = format_when(start, theirs)
    start_owner = format_when(start, owner_zone)
    if same:
        when = start_contact
    elif start.astimezone(theirs).date() == start.astimezone(owner_zone).date():
        mine = start.astimezone(owner_zone)
        when = f"{start_contact[:-1]}; {mine:%H:%M} {mine.tzname()} for me)"
    else:
        when = f"{start_contact} ({start_owner} for me)"
    return {
        "start_contact": start_contact,
        "start_owner": start_owner,
        "when": when,
        "location": location,
        "minutes": int((end - start) / timedelta(minutes=1)),
        "same_zone": same,
    }


def slots_context(
    slots: Iterable[tuple[datetime, datetime]],
    *,
    owner_zone: ZoneInfo,
    contact_zone: ZoneInfo | None,
) -> list[dict[str, Any]]:
    """Each slot as text in the contact's zone and the owner's."""
    out = []
    for i, (start, end) in enumerate(slots, 1):
        m = meeting_context(
            start, end, location="", owner_zone=owner_zone, contact_zone=contact_zone
        )
        out.append(
            {
                "number": i,
                "contact": m["start_contact"],
                "owner": m["start_owner"],
                "when": m["when"],
                "minutes": m["minutes"],
            }
        )
    return out


def thread_context(
    *, subject: str = "", first_sent: str = "", first_email_quoted: str = ""
) -> dict[str, Any]:
    return {"subject": subject, "first_sent": first_sent, "first_email_quoted": first_email_quoted}


def sample_contexts() -> list[dict[str, Any]]:
    """A full context and a sparse one (no referrer, no notes), for checks and previews."""
    owner_zone = ZoneInfo("Europe/Berlin")
    contact_zone = ZoneInfo("America/New_York")
    start = datetime(2025, 10, 14, 15, 0, tzinfo=ZoneInfo("UTC"))
    full: dict[str, Any] = {
        "owner": owner_context("Alex Example", "alex@example.org", "Alex Example\n+49 30 1234"),
        "contact": contact_context(
            name="Dana Sample",
            email="dana@example.com",
            company="Example Corp",
            role="Data Engineer",
            how_found="your talk on data pipelines at PyCon",
            referred_by="Sam Friend",
        ),
        "thread": thread_context(
            subject="Your path into data engineering",
            first_sent="Monday 6 October",
            first_email_quoted="> Hi Dana,\n>\n> I'm Alex...",
        ),
        "meeting": meeting_context(
            start,
            start + timedelta(minutes=30),
            location="https://meet.example.org/alex",
            owner_zone=owner_zone,
            contact_zone=contact_zone,
        ),
        "slots": slots_context(
            [(start + timedelta(days=d), start + timedelta(days=d, minutes=30)) for d in (0, 1, 2)],
            owner_zone=owner_zone,
            contact_zone=contact_zone,
        ),
        "notes": "how your team moved from batch jobs to streaming",
        "followup_number": 1,
    }
    sparse = dict(full)
    sparse["contact"] = contact_context(name="Dana Sample", email="dana@example.com")
    sparse["notes"] = ""
    sparse["slots"] = []
    sparse["meeting"] = meeting_context(
        start, start + timedelta(minutes=30), location="", owner_zone=owner_zone, contact_zone=None
    )
    return [full, sparse]
