"""The annual headcount declaration of each member company and its yearly campaign."""
