"""Marshmallow schemas of the account API."""

from __future__ import annotations

from marshmallow import Schema, fields

from .rules import LedgerKind


class AccountSchema(Schema):
    member_id = fields.String(required=True)
    balance = fields.Decimal(
        required=True, as_string=True, metadata={"description": "sum of the ledger; < 0: owed to the member"}
    )
    due = fields.Decimal(required=True, as_string=True, metadata={"description": "open invoices' « reste à payer »"})
    credit = fields.Decimal(required=True, as_string=True, metadata={"description": "held for the member, not set off"})
    pending = fields.Decimal(
        required=True,
        as_string=True,
        metadata={"description": "SEPA debits sent to the bank, not collected yet (still in balance and due)"},
    )
    label = fields.String(required=True, metadata={"description": "« Solde restant dû » or « Solde créditeur »"})


class LedgerEntrySchema(Schema):
    kind = fields.String(required=True, metadata={"enum": [kind.value for kind in LedgerKind]})
    booked_on = fields.Date(required=True)
    amount = fields.Decimal(required=True, as_string=True)
    applied_amount = fields.Decimal(required=True, as_string=True)
    document_id = fields.String(required=True, allow_none=True)
    settles_invoice_id = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)


class AccountWithEntriesSchema(AccountSchema):
    entries = fields.List(fields.Nested(LedgerEntrySchema), required=True)
