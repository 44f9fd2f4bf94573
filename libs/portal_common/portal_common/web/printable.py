"""Every value a template prints passes here (Jinja's `finalize`): one stored value the boundary would refuse
today — a lone surrogate, a NUL, a bidi override written before the boundary existed — must not break a page.

Such characters are dropped from what is shown (the stored value is left alone: `python -m portal_common.repair`
lists and repairs it). Markup stays Markup, so autoescaping is unchanged.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..input_rules import displayable


def printable(value: Any) -> Any:
    if isinstance(value, str):
        shown = displayable(value)
        if shown is value:
            return value
        return Markup(shown) if isinstance(value, Markup) else shown
    return value
