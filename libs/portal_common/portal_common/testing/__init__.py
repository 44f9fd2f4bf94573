"""Test support: real PostgreSQL databases and RabbitMQ vhosts per run, identities, captured events."""

from .environment import PortalTestEnvironment, ServiceUnderTest, act_as_headers, make_principal
from .fixtures import service_fixtures

__all__ = ["PortalTestEnvironment", "ServiceUnderTest", "act_as_headers", "make_principal", "service_fixtures"]
