"""quotes: only the sender's new text survives, whatever client quoted the original."""

from __future__ import annotations

import pytest

from coffeechat.domain.quotes import split_reply, strip_quotes

ORIGINAL = "Would you have 20 minutes on Tuesday 3 March at 10am?"

CASES = {
    "gmail_wrapped_narrow_nbsp": (
        "Thursday works.\n\nOn Mon, Jan 12, 2026 at 8:31\u202fAM Maya Chen <maya@x.com>\n"
        f"wrote:\n\n> {ORIGINAL}\n"
    ),
    "outlook_from_sent": (
        "Thursday works.\n\nMaya\n\n________________________________\nFrom: Maya Chen "
        f"<maya@x.com>\nSent: Monday, March 2, 2026 9:00 AM\nTo: Pat\nSubject: Hi\n\n{ORIGINAL}"
    ),
    "outlook_no_rule": (
        "Thursday works.\n\nFrom: Maya Chen <maya@x.com>\nSent: 02 March 2026 09:00\n"
        f"To: Pat\nSubject: Hi\n\n{ORIGINAL}"
    ),
    "original_message": f"Thursday works.\n\n-----Original Message-----\nFrom: Maya\n{ORIGINAL}",
    "german_outlook": (
        "Thursday works.\n\nVon: Maya Chen <maya@x.com>\nGesendet: Montag, 2. März 2026 "
        f"09:00\nAn: Pat\nBetreff: Hi\n\n{ORIGINAL}"
    ),
    "german_gmail": (
        "Thursday works.\n\nAm Mo., 2. März 2026 um 09:00 Uhr schrieb Maya Chen "
        f"<maya@x.com>:\n\n> {ORIGINAL}"
    ),
    "spanish_gmail": (
        "Thursday works.\n\nEl lun, 2 mar 2026 a las 9:00, Maya (<maya@x.com>) escribió:\n\n"
        f"> {ORIGINAL}"
    ),
    "apple_mail": (
        "Thursday works.\n\nSent from my iPhone\n\n> On Mar 2, 2026, at 9:00 AM, Maya "
        f"<maya@x.com> wrote:\n> \n> {ORIGINAL}"
    ),
    "samsung": (
        "Thursday works.\n\nSent from my Galaxy\n\n-------- Original message --------\n"
        f"From: Maya <maya@x.com>\nDate: 2/3/26 09:00 (GMT+00:00)\nTo: Pat\n\n{ORIGINAL}"
    ),
    "android_outlook": (
        "Thursday works.\n\nGet Outlook for Android<https://aka.ms/x>\n\n"
        f"________________________________\nFrom: Maya\nSent: Monday\n\n{ORIGINAL}"
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_quoted_original_is_removed(name: str) -> None:
    new = strip_quotes(CASES[name])
    assert new.startswith("Thursday works.")
    assert "10am" not in new
    assert "March" not in new


def test_interleaved_reply_keeps_only_new_lines() -> None:
    text = (
        "On Fri, Apr 9, 2027 at 5:25 PM Sam <sam@x.com> wrote:\n\n> Could we talk?\n"
        "> I'm free most of May.\n\nYes, happy to.\n\n> Thanks,\n> Sam\n\nFriday at 2 works.\n"
        "\nEthan\n\n--\nEthan Wright\nOut of office Apr 19-23\n"
    )
    reply = split_reply(text)
    assert "Yes, happy to." in reply.new
    assert "Friday at 2 works." in reply.new
    assert "May" not in reply.new
    assert "Apr 19-23" not in reply.new
    assert "I'm free most of May." in reply.quoted


def test_signature_signoff_and_disclaimer_are_removed() -> None:
    text = (
        "Tuesday at 2 works.\n\nBest regards,\nDana Lee\nVP Research | Acme\n+1 212 555 0100\n"
        "On leave 14-18 June\n"
    )
    assert strip_quotes(text) == "Tuesday at 2 works."
    text2 = "Tuesday works.\n\nCONFIDENTIALITY NOTICE: This email and any attachments are private."
    assert strip_quotes(text2) == "Tuesday works."
    text3 = "Tuesday works.\n-- \nDana\n(617) 555-0142"
    assert strip_quotes(text3) == "Tuesday works."


def test_signoff_followed_by_long_text_is_kept() -> None:
    text = (
        "Thanks,\nActually I can also do Wednesday at 4pm if that is easier for you, let me know."
    )
    assert "Wednesday at 4pm" in strip_quotes(text)


def test_attribution_followed_by_unmarked_original_is_quote() -> None:
    text = f"Sure!\n\nOn Tue, 3 Mar 2026 at 10:00, Maya <m@x.com> wrote:\n{ORIGINAL}"
    assert strip_quotes(text) == "Sure!"
