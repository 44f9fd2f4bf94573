"""Slots staff open, and the placement of a requested or due visit into one with its convocation."""
