"""Event types the workforce service publishes (schemas in the shared catalogue)."""

EMPLOYEE_HIRED = "workforce.employee.hired.v1"
EMPLOYEE_UPDATED = "workforce.employee.updated.v1"
EMPLOYEE_POST_CHANGED = "workforce.employee.post_changed.v1"
EMPLOYEE_EXITED = "workforce.employee.exited.v1"
CAMPAIGN_OPENED = "workforce.campaign.opened.v1"
CAMPAIGN_CLOSED = "workforce.campaign.closed.v1"
DECLARATION_CONFIRMED = "workforce.declaration.confirmed.v1"
PUBLISHED = (EMPLOYEE_HIRED, EMPLOYEE_UPDATED, EMPLOYEE_POST_CHANGED, EMPLOYEE_EXITED, CAMPAIGN_OPENED,
             CAMPAIGN_CLOSED, DECLARATION_CONFIRMED)
