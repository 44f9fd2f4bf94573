"""iCalendar (RFC 5545) export of upcoming visits, for the employer's calendar software."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

PRODID = "-//Espace adherent SPSTI//Rendez-vous//FR"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets continue on the next line after one space (RFC 5545 §3.1)."""
    parts, current = [], ""
    for char in line:
        if len((current + char).encode("utf-8")) > (75 if not parts else 74):
            parts.append(current)
            current = char
        else:
            current += char
    parts.append(current)
    return [parts[0]] + [" " + part for part in parts[1:]]


def _utc(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def calendar(events: Iterable[dict], *, now: datetime, name: str) -> str:
    """`events`: dicts with uid, starts_at (aware UTC), duration_minutes, summary, location, sequence."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event['uid']}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(event['starts_at'])}",
            f"DTEND:{_utc(event['starts_at'] + timedelta(minutes=event['duration_minutes']))}",
            f"SUMMARY:{_escape(event['summary'])}",
            f"LOCATION:{_escape(event['location'])}",
            f"SEQUENCE:{event['sequence']}",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))
