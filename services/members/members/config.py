"""Settings of the members service."""
from portal_common.config import BaseSettings


class Settings(BaseSettings):
    service = "members"
