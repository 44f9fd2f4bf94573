"""The service's centres and the health team assigned to each company."""
