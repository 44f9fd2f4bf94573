"""What changes invoices: issuing one (issue), the annual invoices of declarations (declarations), the numbers
they take just before their transaction commits (numbering) and the locks that order these (locks)."""
