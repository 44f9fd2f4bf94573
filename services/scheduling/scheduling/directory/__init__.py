"""The directory: companies and employees as members and workforce last told us, fed by their events."""
