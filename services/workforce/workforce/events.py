"""Event types the workforce service publishes (schemas in the shared catalogue)."""

EMPLOYEE_HIRED = "workforce.employee.hired.v1"
EMPLOYEE_UPDATED = "workforce.employee.updated.v1"
EMPLOYEE_EXITED = "workforce.employee.exited.v1"
PUBLISHED = (EMPLOYEE_HIRED, EMPLOYEE_UPDATED, EMPLOYEE_EXITED)
