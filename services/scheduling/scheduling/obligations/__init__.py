"""Visit obligations: which visits each employee is due and by when, kept in step with the facts."""
