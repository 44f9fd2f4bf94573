"""What is drawn from the employee list: exports, print view, « Contrôler la liste », headcount reports."""
