"""The SEPA direct-debit mandate: signature, staff validation, revocation, the encrypted IBAN."""
