"""Events between services: envelope, catalogue, transactional outbox, relay and consumer."""
