"""Scheduling's parts of the home pages: a company's visits due and convocations, staff's requests to plan and
free slots (portal_common.web.home)."""
