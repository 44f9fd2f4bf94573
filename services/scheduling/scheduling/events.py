"""Event types the scheduling service publishes (schemas in the shared catalogue)."""

APPOINTMENT_REQUESTED = "scheduling.appointment.requested.v1"
APPOINTMENT_SCHEDULED = "scheduling.appointment.scheduled.v1"
APPOINTMENT_CANCELLED = "scheduling.appointment.cancelled.v1"
APPOINTMENT_ATTENDED = "scheduling.appointment.attended.v1"
APPOINTMENT_MISSED = "scheduling.appointment.missed.v1"
DOCUMENT_PUBLISHED = "scheduling.document.published.v1"
PUBLISHED = (APPOINTMENT_REQUESTED, APPOINTMENT_SCHEDULED, APPOINTMENT_CANCELLED, APPOINTMENT_ATTENDED,
             APPOINTMENT_MISSED, DOCUMENT_PUBLISHED)
