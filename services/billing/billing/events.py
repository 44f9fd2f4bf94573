"""Event types the billing service publishes (schemas in the shared catalogue)."""

PRODUCER = "billing"
INVOICE_ISSUED = "billing.invoice.issued.v1"
INVOICE_PAID = "billing.invoice.paid.v1"
CREDIT_NOTE_ISSUED = "billing.credit_note.issued.v1"
PUBLISHED = (INVOICE_ISSUED, INVOICE_PAID, CREDIT_NOTE_ISSUED)
