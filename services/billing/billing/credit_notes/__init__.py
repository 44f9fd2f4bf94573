"""Credit notes: correcting an invoice, set off against what is still due on it."""
