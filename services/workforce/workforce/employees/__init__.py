"""The employee record of each member company: hire, correction, new post, exit, the lists and the NIR vault."""
