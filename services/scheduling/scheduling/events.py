"""Event types the scheduling service publishes (schemas in the shared catalogue)."""

APPOINTMENT_SCHEDULED = "scheduling.appointment.scheduled.v1"
PUBLISHED = (APPOINTMENT_SCHEDULED,)
