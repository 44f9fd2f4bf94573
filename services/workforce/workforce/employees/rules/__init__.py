"""The rules of the employee record, in one namespace: records (the commands and their checks), categories
(determinants → SI/SIA/SIR), nir, names, codes and labels."""

from __future__ import annotations

from portal_common.vocabulary import MonitoringCategory

from .categories import (
    ADULT_AGE,
    BY_CODE,
    CATEGORIES,
    DETERMINANTS,
    CategoryPolicy,
    Classification,
    base_category,
    classify,
    sir_for_authorisations_only,
)
from .codes import CONTRACTS, EXIT_REASONS, SEXES, STATUSES, HistoryKind, ListStatus, Sex
from .names import LETTER_RE, display_name, fold, initial_of, search_text
from .nir import (
    NIR_SEARCH_INCOMPLETE,
    birth_department,
    birth_place_warnings,
    check_nir,
    mask_nir,
    nir_to_find,
    nir_warnings,
)
from .records import (
    ID_PATTERN,
    ID_RE,
    MINIMUM_HIRING_AGE,
    PCS_CODE_RE,
    ExitCommand,
    HireCommand,
    HireRejected,
    PostChange,
    StaleEmployee,
    add_years,
    check_correction,
    check_exit,
    check_hire,
    check_post_change,
    is_present,
)

__all__ = [
    "ADULT_AGE",
    "BY_CODE",
    "CATEGORIES",
    "CONTRACTS",
    "DETERMINANTS",
    "EXIT_REASONS",
    "ID_PATTERN",
    "ID_RE",
    "LETTER_RE",
    "MINIMUM_HIRING_AGE",
    "NIR_SEARCH_INCOMPLETE",
    "PCS_CODE_RE",
    "SEXES",
    "STATUSES",
    "CategoryPolicy",
    "Classification",
    "ExitCommand",
    "HireCommand",
    "HireRejected",
    "HistoryKind",
    "ListStatus",
    "MonitoringCategory",
    "PostChange",
    "Sex",
    "StaleEmployee",
    "add_years",
    "base_category",
    "birth_department",
    "birth_place_warnings",
    "check_correction",
    "check_exit",
    "check_hire",
    "check_nir",
    "check_post_change",
    "classify",
    "display_name",
    "fold",
    "initial_of",
    "is_present",
    "mask_nir",
    "nir_to_find",
    "nir_warnings",
    "search_text",
    "sir_for_authorisations_only",
]
