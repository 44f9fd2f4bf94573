"""The 'salariés suivis' count of each company, kept from workforce's hires and exits."""
