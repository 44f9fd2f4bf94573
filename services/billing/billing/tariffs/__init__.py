"""Tariffs: the fees of each year, within the legal band."""
