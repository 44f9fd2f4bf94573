"""The companies a user manages from the current one: same SIREN, or linked by identity."""
