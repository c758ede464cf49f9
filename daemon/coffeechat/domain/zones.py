"""Time-zone words people write after a time ("2pm PT", "3pm London time", "CET").

Abbreviations map to an IANA zone rather than a fixed offset: people write "EST" in July and
mean New York time, so the zone's own DST rule for the date decides the offset.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Upper-case abbreviations: matched case-sensitively so "et" or "ist" in prose never match.
ABBREVIATIONS: dict[str, str] = {
    "PT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "MT": "America/Denver",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "CT": "America/Chicago",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "ET": "America/New_York",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "AST": "America/Halifax",
    "ADT": "America/Halifax",
    "HST": "Pacific/Honolulu",
    "AKST": "America/Anchorage",
    "AKDT": "America/Anchorage",
    "GMT": "Europe/London",
    "BST": "Europe/London",
    "UK": "Europe/London",
    "UTC": "UTC",
    "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon",
    "CET": "Europe/Berlin",
    "CEST": "Europe/Berlin",
    "MEZ": "Europe/Berlin",
    "MESZ": "Europe/Berlin",
    "EET": "Europe/Helsinki",
    "EEST": "Europe/Helsinki",
    "IST": "Asia/Kolkata",
    "SGT": "Asia/Singapore",
    "HKT": "Asia/Hong_Kong",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "AWST": "Australia/Perth",
    "ACST": "Australia/Adelaide",
    "ACDT": "Australia/Adelaide",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "AET": "Australia/Sydney",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
    "NZT": "Pacific/Auckland",
}

# Words and places, matched case-insensitively; usually followed by "time".
NAMES: dict[str, str] = {
    "pacific": "America/Los_Angeles",
    "mountain": "America/Denver",
    "central european": "Europe/Berlin",
    "central": "America/Chicago",
    "eastern": "America/New_York",
    "east coast": "America/New_York",
    "west coast": "America/Los_Angeles",
    "atlantic": "America/Halifax",
    "uk": "Europe/London",
    "british": "Europe/London",
    "london": "Europe/London",
    "dublin": "Europe/Dublin",
    "irish": "Europe/Dublin",
    "lisbon": "Europe/Lisbon",
    "paris": "Europe/Paris",
    "french": "Europe/Paris",
    "berlin": "Europe/Berlin",
    "german": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "amsterdam": "Europe/Amsterdam",
    "zurich": "Europe/Zurich",
    "madrid": "Europe/Madrid",
    "spanish": "Europe/Madrid",
    "barcelona": "Europe/Madrid",
    "rome": "Europe/Rome",
    "stockholm": "Europe/Stockholm",
    "athens": "Europe/Athens",
    "new york": "America/New_York",
    "ny": "America/New_York",
    "nyc": "America/New_York",
    "boston": "America/New_York",
    "toronto": "America/Toronto",
    "montreal": "America/Toronto",
    "chicago": "America/Chicago",
    "texas": "America/Chicago",
    "austin": "America/Chicago",
    "denver": "America/Denver",
    "phoenix": "America/Phoenix",
    "arizona": "America/Phoenix",
    "los angeles": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles",
    "sf": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "vancouver": "America/Vancouver",
    "india": "Asia/Kolkata",
    "indian": "Asia/Kolkata",
    "kolkata": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "singapore": "Asia/Singapore",
    "hong kong": "Asia/Hong_Kong",
    "tokyo": "Asia/Tokyo",
    "japan": "Asia/Tokyo",
    "dubai": "Asia/Dubai",
    "sydney": "Australia/Sydney",
    "melbourne": "Australia/Melbourne",
    "brisbane": "Australia/Brisbane",
    "perth": "Australia/Perth",
    "auckland": "Pacific/Auckland",
    "nz": "Pacific/Auckland",
}

_NOT_PLACES = {"pacific", "mountain", "eastern", "central", "central european", "atlantic",
               "british", "irish", "french", "german", "spanish", "indian", "east coast",
               "west coast"}  # fmt: skip
_ABBR_ALT = "|".join(sorted(ABBREVIATIONS, key=len, reverse=True))
# A capitalised place right after a time is its zone: "4pm London", "9am Sydney"
_CITY_ALT = "|".join(
    n.title() for n in sorted(NAMES, key=len, reverse=True) if len(n) > 3 and n not in _NOT_PLACES
)
_NAME_ALT = "|".join(re.escape(n) for n in sorted(NAMES, key=len, reverse=True))

# A zone written right after a time: "ET", "(2:30pm UK)", "Pacific time", "London time",
# "my time", "your time", "for you". Group ``abbr`` is case-sensitive, ``name`` is not.
ZONE_RE = re.compile(
    rf"(?:\b(?P<abbr>{_ABBR_ALT})\b(?:\s+time\b)?"
    rf"|(?i:\b(?P<name>{_NAME_ALT})(?:\s+(?:standard\s+|daylight\s+)?time)\b)"
    rf"|(?i:\b(?P<name2>pacific|mountain|eastern|central|uk)\b)"
    rf"|\b(?P<city>{_CITY_ALT})\b(?![\w-]|\s+(?:office|team|branch|HQ|headquarters))"
    rf"|(?i:\b(?P<mine>my|our)\s+(?:local\s+)?time\b)"
    rf"|(?i:\b(?P<yours>your\s+(?:local\s+)?time|your\s+end|for\s+you)\b))"
)


@cache
def zone(name: str) -> ZoneInfo | None:
    """An IANA zone by name, or None when this machine's tz database lacks it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def lookup(word: str) -> str | None:
    """IANA name for an abbreviation ("PT") or zone word ("Pacific", "London")."""
    if word in ABBREVIATIONS:
        return ABBREVIATIONS[word]
    return NAMES.get(word.lower().strip())


# "(UTC+10:00) Canberra, Melbourne, Sydney" (Outlook), "GMT-5", "UTC+05:30": an offset, often
# followed by the cities of a zone that keeps DST. The cities, when known, decide.
OFFSET_RE = re.compile(
    r"\(?\s*(?:UTC|GMT)\s*(?P<sign>[+\-\u2212])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\s*\)?"
    r"(?:[ \t]*(?P<cities>[A-Z][\w .'-]*(?:,\s*[A-Z][\w .'-]*)*))?"
)
_HALF_HOURS = {
    (1, 5, 30): "Asia/Kolkata", (1, 5, 45): "Asia/Kathmandu", (1, 9, 30): "Australia/Darwin",
    (1, 3, 30): "Asia/Tehran", (1, 6, 30): "Asia/Yangon", (1, 4, 30): "Asia/Kabul",
    (1, 10, 30): "Australia/Lord_Howe", (1, 8, 45): "Australia/Eucla",
    (1, 12, 45): "Pacific/Chatham", (-1, 3, 30): "America/St_Johns",
    (-1, 9, 30): "Pacific/Marquesas",
}  # fmt: skip


def offset_zone(mt: re.Match[str]) -> str | None:
    """The IANA zone an OFFSET_RE match means: a named city's zone (its DST applies), else a
    fixed offset (``Etc/GMT-10`` is UTC+10: the Etc names invert the sign)."""
    for city in (mt["cities"] or "").split(","):
        found = NAMES.get(city.strip().lower())
        named = ZONE_RE.match(city.strip())
        if not found and named and (named["name"] or named["name2"] or named["city"]):
            found = lookup(named["name"] or named["name2"] or named["city"])
        if found:
            return found
    sign = -1 if mt["sign"] in "-\u2212" else 1
    hours, minutes = int(mt["h"]), int(mt["m"] or 0)
    if minutes:
        return _HALF_HOURS.get((sign, hours, minutes))
    if hours > 14:
        return None
    return "UTC" if hours == 0 else f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
