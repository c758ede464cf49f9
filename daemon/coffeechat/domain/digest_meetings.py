"""The digest's meetings ahead: the window shown, each meeting in both zones, prep prompts.

Separate because it is about the days to come, where the other sections look back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coffeechat.domain.digest_naming import Person
from coffeechat.domain.digest_schedule import resolve_wall_time

#: Meetings shown: today and the next seven days.
MEETINGS_AHEAD_DAYS = 7


def prep_prompts(person: Person, how_found: str) -> tuple[str, str, str]:
    """Three nudges to research before the call: their path, the industry, the company.

    The guides agree: don't ask what a search would answer; prepare open questions; leave salary
    and openings out.
    """
    who = person.name.split()[0] if person.name else "them"
    where = person.company or "their company"
    role = person.role or "their role"
    found = f"You found {who} via {how_found.rstrip('.')}. " if how_found else ""
    path = (
        f"Their path: {found}Read their public profile and trace how they became {role}; "
        "ask what they would do in your place."
    )
    industry = (
        f"The industry: skim this month's news in the field {where} works in; "
        f"ask how it is changing and what a typical week as {role} looks like."
    )
    company = (
        f"The company: read what {where} has announced lately and who its customers are, so you "
        "don't ask what a search would answer; leave salary and openings out."
    )
    return path, industry, company


@dataclass(frozen=True)
class MeetingAhead:
    person: Person
    start: datetime
    end: datetime
    owner_zone: str
    contact_zone: str | None
    location: str
    how_found: str
    notes: str
    referred_by: str = ""
    prompts: tuple[str, ...] = ()

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.owner_zone))

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.owner_zone))

    @property
    def their_start(self) -> datetime | None:
        """Their local time, when their zone is known and differs from the owner's."""
        if not self.contact_zone or self.contact_zone == self.owner_zone:
            return None
        theirs = self.start.astimezone(ZoneInfo(self.contact_zone))
        if theirs.utcoffset() == self.local_start.utcoffset():
            return None
        return theirs

    @property
    def location_is_link(self) -> bool:
        return self.location.startswith(("https://", "http://"))

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def is_on(self, day: date) -> bool:
        return self.local_start.date() == day


def meetings_window(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the start of the owner's today to the end of the seventh day after it."""
    today = now.astimezone(zone).date()
    start = local_midnight(today, zone)
    end = local_midnight(today + timedelta(days=MEETINGS_AHEAD_DAYS + 1), zone)
    return start, end


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return resolve_wall_time(day, time(0, 0), zone)
