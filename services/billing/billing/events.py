"""Event types the billing service publishes (schemas in the shared catalogue)."""

PRODUCER = "billing"
INVOICE_ISSUED = "billing.invoice.issued.v1"
PUBLISHED = (INVOICE_ISSUED,)
