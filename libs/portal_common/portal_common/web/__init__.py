"""Pages: the shared layout, CSRF protection, security headers and French error pages."""

from __future__ import annotations

from .setup import init_web

__all__ = ["init_web"]
