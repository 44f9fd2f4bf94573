"""Use cases of the company record: record edits, change requests applied or decided, and the audit trail
every capability of the service writes into."""
