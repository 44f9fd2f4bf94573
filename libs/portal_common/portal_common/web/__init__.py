"""Pages: the shared layout, CSRF protection, security headers and French error pages."""

from __future__ import annotations

from .input_guard import accepts
from .setup import init_web

__all__ = ["accepts", "init_web"]
