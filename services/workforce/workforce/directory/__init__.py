"""What workforce knows of the member companies, kept from the members service's events."""
