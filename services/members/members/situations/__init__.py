"""Changes of a company's situation (cessation, liquidation…), declared by the company, processed by staff."""
