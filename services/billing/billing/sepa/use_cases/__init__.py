"""What changes SEPA debits: planning and batching them (debits), lowering them when less is owed (adjustments)."""
