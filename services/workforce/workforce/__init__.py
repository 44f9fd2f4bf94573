"""Workforce service: the employees (salariés) of member companies, their hires and their list."""
