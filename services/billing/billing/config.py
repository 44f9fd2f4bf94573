"""Settings of the billing service."""
from portal_common.config import BaseSettings


class Settings(BaseSettings):
    service = "billing"
