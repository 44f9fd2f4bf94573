"""Settings of the scheduling service: the legal periods are defaults an SPSTI may tighten."""

from portal_common.config import BaseSettings, Env, parse_positive_int

from .business_calendar.rules import HolidayCalendar
from .obligations.rules import Periods

_LEGAL = Periods()


def parse_non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


class Settings(BaseSettings):
    service = "scheduling"

    vip_months = Env("SCHEDULING_VIP_MONTHS", parse=parse_positive_int, default=_LEGAL.vip_months)
    vip_apprentice_months = Env(
        "SCHEDULING_VIP_APPRENTICE_MONTHS", parse=parse_positive_int, default=_LEGAL.vip_apprentice_months
    )
    si_renewal_years = Env("SCHEDULING_SI_RENEWAL_YEARS", parse=parse_positive_int, default=_LEGAL.si_renewal_years)
    sia_renewal_years = Env("SCHEDULING_SIA_RENEWAL_YEARS", parse=parse_positive_int, default=_LEGAL.sia_renewal_years)
    sir_renewal_years = Env("SCHEDULING_SIR_RENEWAL_YEARS", parse=parse_positive_int, default=_LEGAL.sir_renewal_years)
    sir_intermediate_years = Env(
        "SCHEDULING_SIR_INTERMEDIATE_YEARS", parse=parse_positive_int, default=_LEGAL.sir_intermediate_years
    )
    mid_career_age = Env(
        "SCHEDULING_MID_CAREER_AGE",
        parse=parse_positive_int,
        default=_LEGAL.mid_career_age,
        help="age of the mid-career visit (45 unless a branch agreement says otherwise)",
    )
    post_exposure_days = Env(
        "SCHEDULING_POST_EXPOSURE_DAYS", parse=parse_non_negative_int, default=_LEGAL.post_exposure_days
    )
    reprise_days = Env("SCHEDULING_REPRISE_DAYS", parse=parse_positive_int, default=_LEGAL.reprise_days)
    cancellation_business_days = Env(
        "SCHEDULING_CANCELLATION_BUSINESS_DAYS",
        parse=parse_non_negative_int,
        default=3,
        help="jours ouvrés before a visit after which it cannot be cancelled",
    )
    holiday_calendar = Env(
        "SCHEDULING_HOLIDAY_CALENDAR",
        parse=HolidayCalendar,
        default=HolidayCalendar.METROPOLE,
        help="public holidays for slots and jours ouvrés: metropole, or alsace-moselle (adds Good Friday and 26 December)",
    )

    @property
    def periods(self) -> Periods:
        return Periods(
            vip_months=self.vip_months,
            vip_apprentice_months=self.vip_apprentice_months,
            si_renewal_years=self.si_renewal_years,
            sia_renewal_years=self.sia_renewal_years,
            sir_renewal_years=self.sir_renewal_years,
            sir_intermediate_years=self.sir_intermediate_years,
            mid_career_age=self.mid_career_age,
            post_exposure_days=self.post_exposure_days,
            reprise_days=self.reprise_days,
        )
