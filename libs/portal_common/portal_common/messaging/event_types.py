"""Every event type of the catalogue, named once (the value is the routing key and the schema's file name).

A contract test keeps this list equal to the JSON Schemas in `catalogue/`.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    BILLING_CREDIT_NOTE_ISSUED = "billing.credit_note.issued.v1"
    BILLING_INVOICE_ISSUED = "billing.invoice.issued.v1"
    BILLING_INVOICE_PAID = "billing.invoice.paid.v1"
    MEMBERS_ADDRESS_CHANGED = "members.address.changed.v1"
    MEMBERS_CONTACT_CHANGED = "members.contact.changed.v1"
    MEMBERS_MEMBER_REGISTERED = "members.member.registered.v1"
    MEMBERS_MEMBER_UPDATED = "members.member.updated.v1"
    MEMBERS_SEPA_MANDATE_REVOKED = "members.sepa_mandate.revoked.v1"
    MEMBERS_SEPA_MANDATE_SIGNED = "members.sepa_mandate.signed.v1"
    MEMBERS_SITUATION_CHANGED = "members.situation.changed.v1"
    SCHEDULING_APPOINTMENT_ATTENDED = "scheduling.appointment.attended.v1"
    SCHEDULING_APPOINTMENT_CANCELLED = "scheduling.appointment.cancelled.v1"
    SCHEDULING_APPOINTMENT_MISSED = "scheduling.appointment.missed.v1"
    SCHEDULING_APPOINTMENT_OUTCOME_CORRECTED = "scheduling.appointment.outcome_corrected.v1"
    SCHEDULING_APPOINTMENT_REQUESTED = "scheduling.appointment.requested.v1"
    SCHEDULING_APPOINTMENT_RESCHEDULED = "scheduling.appointment.rescheduled.v1"
    SCHEDULING_APPOINTMENT_SCHEDULED = "scheduling.appointment.scheduled.v1"
    SCHEDULING_DOCUMENT_PUBLISHED = "scheduling.document.published.v1"
    WORKFORCE_CAMPAIGN_CLOSED = "workforce.campaign.closed.v1"
    WORKFORCE_CAMPAIGN_OPENED = "workforce.campaign.opened.v1"
    WORKFORCE_DECLARATION_CONFIRMED = "workforce.declaration.confirmed.v1"
    WORKFORCE_EMPLOYEE_EXITED = "workforce.employee.exited.v1"
    WORKFORCE_EMPLOYEE_HIRED = "workforce.employee.hired.v1"
    WORKFORCE_EMPLOYEE_POST_CHANGED = "workforce.employee.post_changed.v1"
    WORKFORCE_EMPLOYEE_UPDATED = "workforce.employee.updated.v1"
