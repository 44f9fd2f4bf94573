"""Visit requests: the employer asks for a visit; placements, cancellations and exits move it on."""
