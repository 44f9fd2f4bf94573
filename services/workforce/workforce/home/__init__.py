"""Workforce's parts of the home pages (the declaration to make, the headcount, staff's campaign progress) and the
campaign entry and banner the layout includes while a campaign is open (portal_common.web.home)."""
