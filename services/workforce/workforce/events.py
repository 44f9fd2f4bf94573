"""Event types the workforce service publishes (schemas in the shared catalogue)."""

EMPLOYEE_HIRED = "workforce.employee.hired.v1"
PUBLISHED = (EMPLOYEE_HIRED,)
