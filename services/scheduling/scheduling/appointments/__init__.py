"""Appointments: scheduling a visit, cancelling it (jours ouvrés), attendance, the employer's page and calendar."""
