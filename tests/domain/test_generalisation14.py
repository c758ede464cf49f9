"""Fourteenth round: the sixteenth blind set's failure kinds, in other wording. "One
heads-up" is not a person; a calendar "managed by" someone is an assistant arranging; a note
"passed on to" someone is a referral; "get back in touch from"; "out on leave and not checking
email"; "this afternoon is gone"; a meeting "got moved onto" a day; "the week of the 23rd".
Reference: Wednesday 10 June 2026, New York."""

from __future__ import annotations

from datetime import date

from tests.domain import read_reply, starts

from coffeechat.domain.intents import Intent


def test_a_number_word_opening_a_sentence_is_not_a_name() -> None:
    u = read_reply(
        "Sure thing - send me an invite for whatever works. One caveat: I'm away the last "
        "week of the month, so sooner is better."
    )
    assert u.intent is Intent.ACCEPT
    assert u.referral is None


def test_a_calendar_managed_by_someone_is_an_arranger_not_a_referral() -> None:
    u = read_reply(
        "Glad to help. My diary is run by Priya Das (cc'd) - she'll find us 30 minutes "
        "over the next few weeks.",
        headers="Cc: Priya Das <priya@example.com>\n",
    )
    assert u.intent is Intent.ACCEPT


def test_a_note_passed_on_to_a_colleague_is_a_referral() -> None:
    u = read_reply(
        "I can't take this on at the moment, but I've forwarded your email to Omar Haddad, "
        "who runs our analytics group. He's the better person anyway."
    )
    assert u.intent is Intent.REFERRAL
    assert u.referral is not None and u.referral.name == "Omar Haddad"


def test_get_back_in_touch_from_a_date() -> None:
    u = read_reply("Bad timing, I'm about to go on leave. Could you get back in touch from 6 July?")
    assert u.intent is Intent.LATER
    assert u.later_until == date(2026, 7, 6)


def test_out_on_leave_and_not_checking_email_is_an_autoresponder() -> None:
    u = read_reply(
        "Hello! Thanks for your message.\n\nI'm out on parental leave and not checking email. "
        "I'll be back on Monday, August 3 and will reply then.\n\nSam"
    )
    assert u.intent is Intent.AUTO_REPLY
    assert u.later_until == date(2026, 8, 3)


def test_a_part_of_day_that_is_gone_is_not_offered() -> None:
    u = read_reply("Happy to chat. Tomorrow morning is gone, sorry - Friday at 2pm?")
    assert starts(u) == ["2026-06-12T14:00"]


def test_a_meeting_moved_onto_a_day_rules_it_out() -> None:
    u = read_reply(
        "Sorry, our offsite got moved onto Thursday, so 2pm won't work. Friday at 11 instead?",
        booked="2026-06-11T14:00:00-04:00",
    )
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == ["2026-06-12T11:00"]


def test_the_week_of_a_date_is_not_that_day() -> None:
    u = read_reply(
        "I'll be in Boston the week of the 22nd but fully booked. Video on Tuesday 16 June at 10am?"
    )
    assert starts(u) == ["2026-06-16T10:00"]


def test_a_calendar_proposal_keeps_only_its_proposed_block() -> None:
    u = read_reply(
        'Jo Park has proposed a new time for this event.\n\nNote from Jo Park:\n"Thursday got '
        'eaten by a workshop - could we do Friday?"\n\nProposed new time\nFriday 12 Jun 2026 '
        "⋅ 3pm – 3:30pm\nEastern Time - New York\n\nOriginal time\nThursday 11 Jun 2026 ⋅ 2pm "
        "– 2:30pm\nEastern Time - New York\n",
        booked="2026-06-11T14:00:00-04:00",
        subject="New time proposed: Coffee chat",
        headers="Auto-Submitted: auto-generated\n",
    )
    assert u.intent is Intent.RESCHEDULE
    assert starts(u) == ["2026-06-12T15:00"]


def test_an_earlier_clauses_thats_does_not_make_a_later_time_a_restatement() -> None:
    u = read_reply(
        "I'm travelling on Thursday so that's out, but how about Friday at 9am my time (London)?",
        tz="Europe/Paris",
        date="Wed, 10 Jun 2026 09:00:00 +0100",
    )
    assert starts(u) == ["2026-06-12T10:00"]
