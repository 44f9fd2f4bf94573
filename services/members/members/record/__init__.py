"""The company record: its fields, the change requests that audit every change, and staff's validation."""
