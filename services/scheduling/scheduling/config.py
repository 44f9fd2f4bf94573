"""Settings of the scheduling service."""
from portal_common.config import BaseSettings


class Settings(BaseSettings):
    service = "scheduling"
