"""Documents the employer may see: convocations, attestations de suivi, avis d'aptitude or d'inaptitude."""
