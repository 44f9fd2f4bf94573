"""Members service: member companies (adhérents), their records and their registration."""
