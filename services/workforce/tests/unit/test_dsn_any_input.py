"""The NEODeS reader on generated inputs: whatever bytes arrive (anything at all, or a valid DSN truncated, badly
encoded, missing or repeating blocks, carrying huge values), it reads them or refuses them with its own error
(DsnRefused) and French messages that give the file's line; it never crashes (docs/development.md « Generated
inputs »)."""

import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.dsn_factory import Establishment, dsn_text, people
from workforce.dsn.neodes import DsnRefused, read_dsn

NAME = "mars.dsn"
VALID = dsn_text("732829320", [Establishment("00074", people(3))], date(2026, 3, 1))
LINES = VALID.splitlines()
BLOCKS = sorted({line[:10] for line in LINES})  # S10.G00.00, S21.G00.30, ...
FRENCH = re.compile(r"[éèêàâçôûùî«»]| : |\b(?:de|des|du|la|le|les|une?|ou|est|trop)\b")
ENGLISH = re.compile(r"\b(?:the|of|is|not|invalid|error|line|file|expected)\b", re.IGNORECASE)
LINE_BREAK = re.compile(rb"\r\n|\r|\n")
ENCODINGS = ("utf-8", "iso-8859-1", "cp1252", "utf-8-sig", "utf-16", "utf-16-be", "mac-roman", "cp850")
# Values a payroll export or a hand edit may carry: digits of other scripts, C1 and line-like characters,
# quotes, the characters ISO-8859-1 lacks.
ODD = st.sampled_from(["²", "٣", "߁", "\x85", "\u2028", "\x0c", "\x1c", "'", "''", "œ", "€", "’", "\r", "\t", " "])
# The rubrics whose values are parsed (numbers, dates), where odd characters must be refused, not crash.
PARSED = [
    i
    for i, line in enumerate(LINES)
    if line.startswith(
        ("S90.G00.90.001", "S21.G00.30.001", "S21.G00.30.006", "S21.G00.40.001", "S20.G00.05.005", "S21.G00.62")
    )
]


def in_french(message: str) -> bool:
    """French words, and no English ones outside a value quoted « like this »."""
    return bool(FRENCH.search(message)) and not ENGLISH.search(re.sub(r"«[^»]*»", "", message))


def lines_in(raw: bytes) -> int:
    return len(LINE_BREAK.split(raw))


def assert_read_or_refused_in_french(raw: bytes) -> None:
    """Read, with every problem on a line of the file in French; or refused by DsnRefused, in French, with a line
    of the file. Any other exception fails the test."""
    try:
        reading = read_dsn([(NAME, raw)])
    except DsnRefused as refused:
        assert refused.message.startswith(f"{NAME}, ligne {refused.line} : "), refused.message
        assert 1 <= refused.line <= lines_in(raw), (refused.line, refused.message)
        assert in_french(refused.message), refused.message
        return
    for problem in reading.problems:
        assert problem.file == NAME
        assert 1 <= problem.line <= lines_in(raw), problem
        assert problem.message[:1].isupper() and in_french(problem.message), problem


@st.composite
def mutated_dsn(draw) -> bytes:
    """The valid file with a few mutations, then encoded (sometimes wrongly), then sometimes bytes flipped."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1) | st.sampled_from([i for i in PARSED if i < len(lines)] or [0]))
        block = lines[at][:10]
        kind = draw(
            st.sampled_from(
                ["truncate", "drop", "drop_block", "repeat", "repeat_block", "huge", "odd", "text", "swap", "lines"]
            )
        )
        if kind == "truncate":
            lines[at] = lines[at][: draw(st.integers(0, max(len(lines[at]) - 1, 0)))]
            if draw(st.booleans()):
                lines = lines[: at + 1]  # the file cut there
        elif kind == "drop":
            del lines[at]
        elif kind == "drop_block":
            lines = [line for line in lines if not line.startswith(draw(st.sampled_from(BLOCKS)))]
        elif kind == "repeat":
            lines.insert(at, lines[at])
        elif kind == "repeat_block":
            run = [line for line in lines if line.startswith(block)]
            lines[at:at] = run * draw(st.integers(1, 3))
        elif kind == "huge":
            size = draw(st.sampled_from([501, 5_000, 200_000]))
            lines[at] = f"{lines[at][:14]},'{draw(st.sampled_from(['9', 'x', 'É', chr(39) * 2])) * size}'"
        elif kind == "odd":  # some characters of the value replaced, its length kept
            value = list(lines[at][16:-1]) or [""]
            for _ in range(draw(st.integers(1, 3))):
                value[draw(st.integers(0, len(value) - 1))] = draw(ODD)
            lines[at] = f"{lines[at][:16]}{''.join(value)}'"
        elif kind == "text":
            lines[at] = f"{lines[at][:14]},'{draw(st.text(max_size=40))}'"
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            lines.insert(at, draw(st.text(max_size=60)))
    separator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = separator.join(lines) + draw(st.sampled_from(["", separator]))
    raw = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, max(len(raw) - 1, 0)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=3)) + raw[at + 1 :]
    return raw


@settings(max_examples=400, deadline=None)
@given(raw=st.binary(max_size=3000))
def test_any_bytes_are_read_or_refused_by_the_reader_in_french_with_the_line(raw):
    assert_read_or_refused_in_french(raw)


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(LINES) | st.text(max_size=30), max_size=40))
def test_any_mix_of_dsn_lines_and_text_is_read_or_refused_in_french_with_the_line(text):
    assert_read_or_refused_in_french("\n".join(text).encode("utf-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=mutated_dsn())
def test_a_valid_dsn_cut_re_encoded_with_blocks_missing_or_repeated_or_huge_values_is_never_a_crash(raw):
    assert_read_or_refused_in_french(raw)


@settings(max_examples=400, deadline=None)
@given(
    at=st.sampled_from(PARSED),
    value=st.text(alphabet=st.sampled_from(list("0123456789²³¹٠١٢٣߁߂０１２ AB-'")), max_size=16),
)
def test_numbers_and_dates_written_with_any_digits_are_read_or_listed_in_french_never_a_crash(at, value):
    lines = list(LINES)
    lines[at] = f"{lines[at][:16]}{value}'"
    assert_read_or_refused_in_french("\n".join(lines).encode("utf-8"))


def test_the_valid_file_the_mutations_start_from_is_read_without_a_problem():
    reading = read_dsn([(NAME, VALID.encode("iso-8859-1"))])
    assert reading.problems == [] and len(reading.declarations[0].individuals) == 3
