"""What changes the employee record: hire, correction, new post, exit (records), reclassification (reclassify),
and the NIRs staff see in clear (reveals)."""

from __future__ import annotations

from .reclassify import RECLASSIFY_ACTOR, RECLASSIFY_BATCH, Reclassified, reclassify_employees
from .records import (
    Saved,
    add_hire,
    change_post,
    correct_employee,
    exit_employee,
    hire_employee,
    hired_event,
    record_correction,
    record_exit,
    record_post_change,
    record_workplace,
    updated_event,
)
from .reveals import reveal_nir

__all__ = [
    "RECLASSIFY_ACTOR",
    "RECLASSIFY_BATCH",
    "Reclassified",
    "Saved",
    "add_hire",
    "change_post",
    "correct_employee",
    "exit_employee",
    "hire_employee",
    "hired_event",
    "reclassify_employees",
    "record_correction",
    "record_exit",
    "record_post_change",
    "record_workplace",
    "reveal_nir",
    "updated_event",
]
