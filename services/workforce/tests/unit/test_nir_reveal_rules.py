"""docs/security.md DP-04: the rules of showing a stored NIR to staff, without I/O: a reason is required, kept
without the number, and a daily cap refuses in French."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workforce.employees.rules.reveals import (
    REASON_REQUIRED,
    REASON_TOO_LONG,
    REASON_WITH_NIR,
    RevealCapReached,
    RevealRefused,
    cap_reached,
    check_cap,
    check_reason,
)


def test_a_reason_is_kept_trimmed_and_a_missing_or_short_one_is_refused():
    assert check_reason("  Vérification   demandée par la CPAM \n") == "Vérification demandée par la CPAM"
    for reason in ("", "   ", "CPAM", "a\tb\nc"):
        with pytest.raises(RevealRefused) as refused:
            check_reason(reason)
        assert refused.value.errors == {"reason": REASON_REQUIRED}
    with pytest.raises(RevealRefused) as too_long:
        check_reason("x" * 501)
    assert too_long.value.errors == {"reason": REASON_TOO_LONG}


@given(separator=st.sampled_from(["", " ", ".", "-"]))
def test_a_reason_holding_a_nir_is_refused_so_the_trail_never_copies_the_number(separator):
    nir = separator.join(["2", "55", "08", "14", "168", "025", "38"])
    with pytest.raises(RevealRefused) as refused:
        check_reason(f"Appel de la CPAM au sujet du {nir}")
    assert refused.value.errors == {"reason": REASON_WITH_NIR}


@given(cap=st.integers(min_value=1, max_value=500), done=st.integers(min_value=0, max_value=1000))
def test_the_cap_lets_exactly_cap_reveals_through_each_day(cap, done):
    if done < cap:
        check_cap(done, cap)
    else:
        with pytest.raises(RevealCapReached) as refused:
            check_cap(done, cap)
        assert refused.value.errors == {"reason": cap_reached(cap)}
        assert refused.value.errors["reason"].startswith(f"Vous avez déjà consulté {cap} numéros")
