"""Scheduling service: appointments of the member companies' employees, and the directory they rely on."""
