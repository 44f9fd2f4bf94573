"""The member account ledger (compte adhérent): every invoice, credit note, payment, SEPA reject, refund and
offset as one entry; every figure billing shows is computed from it (queries.account)."""
