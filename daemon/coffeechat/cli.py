"""The `coffeechat` command line: set-up, contacts, the daemon, and the owner's tools.

Exit codes: 0 ok, 1 a failure (a server refused, a check failed), 2 a usage or settings error.
Every command that a machine might read has ``--json``.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from coffeechat import __version__
from coffeechat.clock import Clock, FixedClock, OffsetClock, SystemClock
from coffeechat.settings import Settings, SettingsError, load_settings, resolve_config_path

EXIT_FAILURE = 1
EXIT_USAGE = 2


class Context:
    """What every command shares: where the settings are, loaded on first use."""

    def __init__(self, config: Path | None, account: str | None = None) -> None:
        self.config_path = resolve_config_path(config)
        self.account = account
        self._settings: Settings | None = None

    @property
    def base_settings(self) -> Settings:
        """The whole file: every account."""
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except SettingsError as exc:
                fail_usage(str(exc))
        return self._settings

    @property
    def settings(self) -> Settings:
        """The chosen account's settings (--account; default: the top-level one)."""
        try:
            return self.base_settings.for_account(self.account)
        except SettingsError as exc:
            fail_usage(str(exc))


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    click.echo(f"coffeechat: {message}", err=True)
    sys.exit(code)


def fail_usage(message: str) -> NoReturn:
    fail(message, EXIT_USAGE)


def parse_now(value: str | None) -> Clock:
    """--now ISO: a fixed clock for rehearsals and tests; without it, the real clock."""
    if value is None:
        return SystemClock()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail_usage(f"--now {value!r} is not an ISO 8601 time (e.g. 2026-03-02T09:00:00+01:00)")
    if at.tzinfo is None:
        fail_usage(f"--now {value!r} needs a UTC offset (e.g. +01:00 or Z)")
    return FixedClock(at)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


@contextmanager
def open_store(settings: Settings) -> Iterator[tuple[Any, int]]:
    """The store (migrated) and this owner's account id."""
    from coffeechat.store.db import Store, StoreError

    try:
        store = Store(settings.database.effective_url)
    except StoreError as exc:
        fail(str(exc))
    try:
        with store.session() as session:
            account_id = store.account(
                session, settings.owner.email.lower(), settings.owner.email
            ).id
        yield store, account_id
    finally:
        store.close()


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (default: $COFFEECHAT_CONFIG, else ~/.config/coffeechat/coffeechat.toml).",
)
@click.option(
    "--account",
    metavar="NAME",
    help="Which [[accounts]] entry a command works on (default: the top-level one).",
)
@click.version_option(__version__, prog_name="coffeechat")
@click.pass_context
def main(ctx: click.Context, config: Path | None, account: str | None) -> None:
    """coffeechat runs your informational interviews over email and calendar standards.

    Start with `coffeechat init`, edit the file it writes, then `coffeechat check`.
    """
    from coffeechat.logsetup import configure_logging

    # Commands print their results on stdout; only warnings and errors are logged (stderr).
    configure_logging("warning", "console")
    ctx.obj = Context(config, account)


# ------------------------------------------------------------------ set-up


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing settings file.")
@pass_ctx
def init(ctx: Context, force: bool) -> None:
    """Write a commented settings file to start from."""
    from coffeechat.resources import example_config_path

    target = ctx.config_path
    if target.exists() and not force:
        fail_usage(f"{target} exists already; use --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(example_config_path(), target)
    target.chmod(0o600)
    click.echo(f"wrote {target}\nedit it, then run: coffeechat --config {target} check")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_ctx
def check(ctx: Context, as_json: bool) -> None:
    """Connect to IMAP, SMTP, CalDAV and the database and report each."""
    from coffeechat.service.checks import run_checks

    accounts = [ctx.settings] if ctx.account else ctx.base_settings.all_accounts()
    results = []
    for settings in accounts:
        for r in run_checks(settings):
            if len(accounts) > 1:
                r = type(r)(f"{settings.owner.email}:{r.component}", r.ok, r.detail)
            results.append(r)
    if as_json:
        echo_json({r.component: {"ok": r.ok, "detail": r.detail} for r in results})
    else:
        for r in results:
            mark = "ok  " if r.ok else ("skip" if r.ok is None else "FAIL")
            click.echo(f"{mark} {r.component:<8} {r.detail}")
    if any(r.ok is False for r in results):
        sys.exit(EXIT_FAILURE)


# ------------------------------------------------------------------ contacts


@main.group()
def contacts() -> None:
    """Add, import and list the people you want to talk to."""


@contacts.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--company", default="")
@click.option("--role", default="")
@click.option("--how-found", default="", help="Where you found them, or who connected you.")
@click.option("--note", default="", help="Why them in particular; used in the outreach.")
@click.option("--timezone", default="", help="Their IANA zone, if known (e.g. Europe/London).")
@click.option("--referred-by", default="", help="Email of the contact who referred them.")
@pass_ctx
def contacts_add(ctx: Context, /, **values: str) -> None:
    """Add a contact (or update one with the same email)."""
    from coffeechat.service.contacts import ContactError, upsert_contact

    values["notes"] = values.pop("note")
    with open_store(ctx.settings) as (store, account_id), store.session() as session:
        try:
            contact, outcome = upsert_contact(session, account_id, values)
        except ContactError as exc:
            fail_usage(str(exc))
        click.echo(f"{outcome}: {contact.name} <{contact.email}>")


@contacts.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def contacts_import(ctx: Context, file: Any, as_json: bool) -> None:
    """Import contacts from a CSV file with a header row (idempotent on email)."""
    from coffeechat.service.contacts import import_csv

    text = file.read()
    with open_store(ctx.settings) as (store, account_id), store.session() as session:
        report = import_csv(session, account_id, text)
    if as_json:
        echo_json(
            {
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": [{"line": n, "error": e} for n, e in report.errors],
            }
        )
    else:
        click.echo(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"rejected {len(report.errors)}"
        )
        for line, error in report.errors:
            click.echo(f"  line {line}: {error}", err=True)
    if report.errors:
        sys.exit(EXIT_FAILURE)


@contacts.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def contacts_list(ctx: Context, as_json: bool) -> None:
    """List contacts and where each stands."""
    from coffeechat.service.contacts import contact_dict, list_contacts

    with open_store(ctx.settings) as (store, account_id), store.session() as session:
        rows = [contact_dict(c) for c in list_contacts(session, account_id)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no contacts yet: coffeechat contacts add --email ... --name ...")
    for r in rows:
        where = " at ".join(x for x in (r["role"], r["company"]) if x)
        click.echo(f"{r['status']:<13} {r['name']} <{r['email']}>{'  ' + where if where else ''}")


# ------------------------------------------------------------------ outreach and notes


@main.group()
def outreach() -> None:
    """Queue outreach emails (the daemon sends them in the next send window)."""


@outreach.command("start")
@click.argument("emails", nargs=-1)
@click.option("--all-new", is_flag=True, help="Every contact never written to.")
@click.option("--force", is_flag=True, help="Even to a contact who asked not to be contacted.")
@click.option("--now", help="Set the clock (ISO 8601 with offset), for rehearsals and tests.")
@pass_ctx
def outreach_start(
    ctx: Context, emails: tuple[str, ...], all_new: bool, force: bool, now: str | None
) -> None:
    """Queue the outreach email for EMAIL... or --all-new contacts."""
    if bool(emails) == all_new:
        fail_usage("give contact emails or --all-new (not both)")
    from coffeechat.service.outreach import queue_outreach

    with open_store(ctx.settings) as (store, account_id):
        report = queue_outreach(
            store, ctx.settings, parse_now(now), list(emails) or None,
            all_new=all_new, force=force, account_id=account_id,
        )  # fmt: skip
    for address in report.queued:
        click.echo(f"queued: {address} (sent in their next working hours)")
    for address in report.waiting:
        click.echo(f"waiting: {address} (3B7: one person per employer at a time)")
    for line in report.skipped:
        click.echo(f"skipped: {line}")
    for line in report.refused:
        click.echo(f"refused: {line}", err=True)
    if report.refused:
        sys.exit(EXIT_FAILURE)


@main.command()
@click.argument("email")
@click.argument("text")
@click.option("--now", help="Set the clock (ISO 8601 with offset).")
@pass_ctx
def notes(ctx: Context, email: str, text: str, now: str | None) -> None:
    """Add notes about a contact or your meeting with them (the thank-you quotes them)."""
    from coffeechat.service.rerender import record_notes

    with open_store(ctx.settings) as (store, account_id):
        try:
            where = record_notes(
                store, email, text, parse_now(now), settings=ctx.settings, account_id=account_id
            )
        except LookupError as exc:
            fail(str(exc))
    click.echo(f"notes saved on {where}")


# ------------------------------------------------------------------ templates


@main.group()
def templates() -> None:
    """Check and preview the email templates."""


@templates.command("check")
@pass_ctx
def templates_check(ctx: Context) -> None:
    """Load and test-render every template; name any missing field."""
    from coffeechat.templating import check_templates

    problems = check_templates(ctx.settings.templates.dir)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(EXIT_FAILURE)
    click.echo("all templates render")


@templates.command("preview")
@click.argument("name")
@click.option("--contact", "email", required=True, help="Render for this contact.")
@pass_ctx
def templates_preview(ctx: Context, name: str, email: str) -> None:
    """Render template NAME for a contact, as it would be sent."""
    from coffeechat.service.thread_mail import preview

    with open_store(ctx.settings) as (store, _account):
        try:
            rendered = preview(store, ctx.settings, SystemClock(), name, email)
        except LookupError as exc:
            fail(str(exc))
    click.echo(f"Subject: {rendered.subject}\n\n{rendered.text}")


# ------------------------------------------------------------------ the daemon


@main.command()
@click.option("--once", is_flag=True, help="Do everything new or due, then exit.")
@click.option(
    "--now",
    help="Set the clock (ISO 8601 with offset) for a rehearsal or a test; implies a fixed clock.",
)
@pass_ctx
def run(ctx: Context, once: bool, now: str | None) -> None:
    """Run the daemon: watch the inbox, book, send, and mail the digest.

    Every account in the settings file is served (or only --account NAME).
    """
    from coffeechat.logsetup import configure_logging
    from coffeechat.service.daemon import serve

    settings = ctx.settings if ctx.account else ctx.base_settings
    configure_logging(settings.logging.level, settings.logging.format)
    clock = parse_now(now)
    if now is not None and not once:
        clock = OffsetClock(clock.now())  # a rehearsal: time moves on from --now
    code = serve(settings, clock, once=once, account=ctx.account)
    sys.exit(code)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--now", help="Set the clock (ISO 8601 with offset).")
@pass_ctx
def status(ctx: Context, as_json: bool, now: str | None) -> None:
    """The pipeline: contacts by state, meetings ahead, emails due, component health."""
    from coffeechat.service.status import pipeline_status, render_status

    with open_store(ctx.settings) as (store, account_id):
        data = pipeline_status(store, account_id, ctx.settings, parse_now(now))
    if as_json:
        echo_json(data)
    else:
        click.echo(render_status(data))


@main.command()
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object.")
@click.option("--now", help="Reference time (ISO 8601); default: the message's Date.")
@click.option("--tz", "zone", help="The owner's IANA zone; default: from settings.")
@click.option(
    "--state",
    type=click.Choice(["outreach_sent", "followup_sent", "slots_offered", "meeting_booked"]),
    default="outreach_sent",
    show_default=True,
    help="What the owner's last message was.",
)
@click.option(
    "--offered", help="Offered slots, comma-separated ISO times (with --state slots_offered)."
)
@pass_ctx
def explain(
    ctx: Context,
    file: Any,
    as_json: bool,
    now: str | None,
    zone: str | None,
    state: str,
    offered: str | None,
) -> None:
    """Show how the daemon understands one RFC 5322 message (FILE, or - for stdin)."""
    from coffeechat.domain.explain import explain as explain_message
    from coffeechat.settings import check_zone

    if zone is None:
        zone = _owner_zone_or_default(ctx)
    try:
        check_zone(zone)
    except ValueError as exc:
        fail_usage(f"--tz: {exc}")
    offered_times = []
    for item in (offered or "").split(","):
        if item.strip():
            try:
                t = datetime.fromisoformat(item.strip())
            except ValueError:
                fail_usage(f"--offered: {item!r} is not an ISO 8601 time")
            if t.tzinfo is None:
                fail_usage(f"--offered: {item!r} needs a UTC offset")
            offered_times.append(t)
    ref = parse_now(now).now() if now else None
    raw = file.read()
    result = explain_message(raw, tz=zone, now=ref, state=state, offered=offered_times)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"intent:      {result['intent']} (confidence {result['confidence']:.2f})")
    for p in result["proposed"]:
        click.echo(f"proposed:    {p['start']}" + (f" .. {p['end']}" if p["end"] else ""))
    if result["later_until"]:
        click.echo(f"later until: {result['later_until']}")
    if result["referral"]:
        r = result["referral"]
        click.echo(f"referral:    {r['name'] or '?'} <{r['email'] or '?'}>")
    click.echo(f"action:      {result['action']}")
    click.echo("new text:")
    for line in (result["reply_text"] or "(none)").splitlines():
        click.echo(f"  | {line}")


def _owner_zone_or_default(ctx: Context) -> str:
    """explain works without a settings file: then UTC, said on stderr."""
    if ctx.config_path.exists():
        return ctx.settings.owner.timezone
    click.echo("coffeechat: no settings file; reading times in UTC (use --tz)", err=True)
    return "UTC"


@main.command()
@click.option("--print", "mode", flag_value="print", default=True, help="Print the text version.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the HTML version to FILE.",
)
@click.option("--send", "mode", flag_value="send", help="Queue it to your address now.")
@click.option("--now", help="Set the clock (ISO 8601 with offset).")
@pass_ctx
def digest(ctx: Context, mode: str, html_file: Path | None, now: str | None) -> None:
    """Render today's digest on demand (the daemon also mails it daily at digest_at)."""
    from coffeechat.service.digest import digest_as_text, render_digest_for_cli, send_digest_now

    clock = parse_now(now)
    with open_store(ctx.settings) as (store, _account):
        if mode == "send":
            outbox_id = send_digest_now(store, ctx.settings, clock)
            click.echo(f"digest queued (outbox #{outbox_id}); the daemon sends it next")
            return
        rendered = render_digest_for_cli(store, ctx.settings, clock)
    if html_file is not None:
        html_file.write_text(rendered.html, encoding="utf-8")
        click.echo(f"wrote {html_file}")
        return
    click.echo(digest_as_text(rendered))


def entry(argv: list[str] | None = None, **kwargs: Any) -> Callable[..., Any]:
    """Handy for tests: main.main(args, standalone_mode=...)."""
    return main.main(argv, **kwargs)  # type: ignore[no-any-return]


if __name__ == "__main__":  # pragma: no cover
    main()
