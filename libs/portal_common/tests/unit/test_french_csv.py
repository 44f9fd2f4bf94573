"""The French CSV every export writes: UTF-8 with BOM, `;`, CRLF, dd/mm/yyyy, a formula kept as text — each value
exactly as `csv_text` says, whatever the mix of values (the writer takes shortcuts for plain texts and days)."""

import csv
import io
from datetime import UTC, date
from enum import StrEnum

from hypothesis import given
from hypothesis import strategies as st

from portal_common.french_csv import csv_text, to_french_csv


class Kind(StrEnum):
    PLUS = "+33"
    PLAIN = "CDI"


def one_value_at_a_time(header, rows) -> bytes:
    """The plain way: every value through csv_text, one line at a time."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


values = st.one_of(
    st.text(),
    st.sampled_from(["=SOMME(A1)", "+33 1", "-5", "@x", "\tx", "\rx", "", "Lefèvre", "a;b", 'dit "le grand"']),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.none(),
    st.integers(),
    st.booleans(),
    st.sampled_from(list(Kind)),
)


@given(st.lists(st.lists(values, min_size=1, max_size=6), max_size=8))
def test_any_mix_of_values_is_written_exactly_as_each_value_alone_would_be(rows):
    header = ("Nom", "Date")
    assert to_french_csv(header, rows) == one_value_at_a_time(header, rows)


def test_a_line_has_french_dates_formulas_kept_as_text_and_the_file_a_bom():
    written = to_french_csv(
        ("Nom", "Né(e) le", "Sortie", "Poste"),
        [['=HYPERLINK("x")', date(1970, 3, 22), None, "Soudeur"], ["-Martin", date(1970, 3, 22), None, "+1"]],
    )
    assert (
        written
        == (
            '\ufeffNom;Né(e) le;Sortie;Poste\r\n"\'=HYPERLINK(""x"")";22/03/1970;;Soudeur\r\n'
            "'-Martin;22/03/1970;;'+1\r\n"
        ).encode()
    )
