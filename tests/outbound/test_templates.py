"""Templates: strict fields, header safety, the user's directory over ours, the guides' voice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coffeechat.resources import example_config_path, templates_dir
from coffeechat.templating import (
    TEMPLATE_NAMES,
    TemplateError,
    TemplateFieldError,
    Templates,
    check_templates,
    sample_contexts,
)


def test_packaged_templates_all_pass_the_check() -> None:
    assert check_templates() == []
    for name in TEMPLATE_NAMES:
        assert (templates_dir() / f"{name}.txt").is_file()
    assert example_config_path().is_file()


def test_outreach_follows_the_guides() -> None:
    for ctx in sample_contexts():
        r = Templates().render("outreach", ctx)
        words = len(r.text.split())
        assert words <= 110, words
        low = r.text.lower()
        assert "20 to 30 minutes" in low
        assert "no worries" in low  # easy to decline
        assert "job" not in low.replace("not asking about jobs", "")
    full = Templates().render("outreach", sample_contexts()[0])
    assert "Sam Friend suggested" in full.text  # the mutual contact first
    assert "your talk on data pipelines" in full.text  # how I found you


def test_referral_outreach_names_the_referrer() -> None:
    r = Templates().render("referral_outreach", sample_contexts()[0])
    assert r.subject == "Sam suggested I reach out"
    assert "Sam Friend suggested I reach out" in r.text


def test_followup_quotes_the_first_email_and_thank_you_the_notes() -> None:
    ctx = sample_contexts()[0]
    r = Templates().render("followup", ctx)
    assert r.subject.startswith("Re: ")
    assert r.text.rstrip().endswith("> I'm Alex...")
    t = Templates().render("thank_you", ctx)
    assert "how your team moved from batch jobs to streaming." in t.text


def _user_dir(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / "mine"
    d.mkdir(exist_ok=True)
    (d / f"{name}.txt").write_text(text)
    return d


def test_missing_field_fails_at_render_naming_template_and_field(tmp_path: Path) -> None:
    d = _user_dir(tmp_path, "followup", "Subject: Hi\n\nHello {{ contact.frist_name }}\n")
    with pytest.raises(TemplateFieldError) as err:
        Templates(d).render("followup", sample_contexts()[0])
    assert err.value.template == "followup"
    assert err.value.field == "contact.frist_name"
    assert "followup" in str(err.value) and "contact.frist_name" in str(err.value)


def test_check_reports_a_missing_field_even_in_an_untaken_branch(tmp_path: Path) -> None:
    d = _user_dir(
        tmp_path,
        "thank_you",
        "Subject: Thanks\n\n{% if false %}{{ meeting.wher }}{% endif %}Thanks\n",
    )
    problems = check_templates(d)
    assert [(p.template, p.field) for p in problems] == [("thank_you", "meeting.wher")]


def test_check_reports_syntax_errors_and_a_missing_subject(tmp_path: Path) -> None:
    _user_dir(tmp_path, "outreach", "Subject: Hi\n\n{% if %}\n")
    d = _user_dir(tmp_path, "followup", "Hello\n")
    problems = {p.template: str(p) for p in check_templates(d)}
    assert "line 3" in problems["outreach"]
    assert "Subject" in problems["followup"]


def test_user_directory_overrides_one_file(tmp_path: Path) -> None:
    d = _user_dir(tmp_path, "outreach", "Subject: Mine {{ contact.first_name }}\n\nMy own words\n")
    t = Templates(d)
    assert t.render("outreach", sample_contexts()[0]).subject == "Mine Dana"
    assert t.path_of("outreach") == d / "outreach.txt"
    # the others still come from the packaged set
    assert t.path_of("followup") == templates_dir() / "followup.txt"
    assert t.render("followup", sample_contexts()[0]).subject.startswith("Re:")


def test_a_line_break_reaching_the_subject_is_refused() -> None:
    ctx = sample_contexts()[0]
    ctx["contact"] = dict(ctx["contact"], first_name="Dana\nBcc: all@example.com")
    with pytest.raises(TemplateError, match="line break"):
        Templates().render("thank_you", ctx)


def test_sandbox_refuses_attribute_games(tmp_path: Path) -> None:
    d = _user_dir(tmp_path, "outreach", "Subject: x\n\n{{ owner.__class__.__mro__ }}\n")
    with pytest.raises(TemplateError):
        Templates(d).render("outreach", sample_contexts()[0])


def test_html_alternative_is_autoescaped(tmp_path: Path) -> None:
    d = tmp_path / "mine"
    shutil.copytree(templates_dir(), d)
    (d / "outreach.html").write_text("<p>Hi {{ contact.first_name }}</p>")
    ctx = sample_contexts()[0]
    ctx["contact"] = dict(ctx["contact"], first_name="<b>Dana</b>")
    r = Templates(d).render("outreach", ctx)
    assert r.html == "<p>Hi &lt;b&gt;Dana&lt;/b&gt;</p>"
    assert "<b>Dana</b>" in r.text  # plain text is not escaped
