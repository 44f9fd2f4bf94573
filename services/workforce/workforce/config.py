"""Settings of the workforce service."""
from portal_common.config import BaseSettings


class Settings(BaseSettings):
    service = "workforce"
