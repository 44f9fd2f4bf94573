"""Fixtures of the billing service tests: a migrated PostgreSQL database and known customers."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest

from billing import services
from billing.app import create_app
from billing.domain import CustomerSnapshot
from billing.tariffs import Tariff
from portal_common.testing import service_fixtures

SERVICE_DIR = Path(__file__).resolve().parents[1]
MEMBER_A = "6f1c2f7e-1b7a-4f7e-9a59-2f0c4d1e8a01"
MEMBER_B = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
billing_service, service = service_fixtures("billing", create_app, SERVICE_DIR)


@pytest.fixture
def snapshot() -> Callable[..., CustomerSnapshot]:
    """Builds a customer as the members service describes it."""
    def build(member_id: str = MEMBER_A, *, name: str = "Boulangerie Martin", version: int = 1) -> CustomerSnapshot:
        return CustomerSnapshot(member_id=member_id, member_number="1000001", name=name, siret="73282932000074",
                                address_line1="12 rue de la Gare", address_line2=None, postal_code="68100",
                                city="MULHOUSE", billing_email="compta@boulangerie-martin.fr", status="active",
                                version=version)
    return build


@pytest.fixture
def customers(service, snapshot) -> tuple[str, str]:
    """Two member companies billing knows of: A and B."""
    for member_id in (MEMBER_A, MEMBER_B):
        services.seed_customer(service.portal, snapshot(member_id))
    return MEMBER_A, MEMBER_B


TARIFF_2026 = Tariff(year=2026, per_capita_fee=Decimal("97.35"), national_average_cost=None,
                     entry_fee=Decimal("30.00"), minimum_fee=Decimal("150.00"), late_hire_fee=Decimal("97.35"),
                     no_show_fee=Decimal("50.00"))


@pytest.fixture
def tariff_2026(service) -> Tariff:
    """The 2026 fees: 97,35 € per employee, 30 € entry fee, 150 € minimum, 1,5 % SEPA discount, 20 % VAT."""
    return services.save_tariff(service.portal, TARIFF_2026, by="test")
