"""Calendars: trading days (NYSE, CFE, Cboe Options), expiry rules (VX, SPX), event calendars."""

from alvh.calendar.expiries import (
    MONTH_CODES,
    VX_RULE_TEXT,
    VX_SETTLEMENT_EXCEPTIONS,
    check_vx_expiries,
    check_vx_expiry,
    parse_vx_contract,
    spx_expiries_between,
    spx_monthly_expiry,
    third_friday,
    vx_contract_code,
    vx_contract_for_expiry,
    vx_expiries_between,
    vx_final_settlement,
    vx_final_settlement_rule,
)
from alvh.calendar.trading import (
    CFE_EXTRA_SESSIONS,
    is_session,
    previous_session,
    sessions_between,
    trading_days,
)

__all__ = [
    "CFE_EXTRA_SESSIONS",
    "MONTH_CODES",
    "VX_RULE_TEXT",
    "VX_SETTLEMENT_EXCEPTIONS",
    "check_vx_expiries",
    "check_vx_expiry",
    "is_session",
    "parse_vx_contract",
    "previous_session",
    "sessions_between",
    "spx_expiries_between",
    "spx_monthly_expiry",
    "third_friday",
    "trading_days",
    "vx_contract_code",
    "vx_contract_for_expiry",
    "vx_expiries_between",
    "vx_final_settlement",
    "vx_final_settlement_rule",
]

from alvh.calendar.events import (
    EventCalendar,
    event_window_labels,
    event_window_mask,
    load_event_calendar,
    read_event_dates,
)

__all__ += ["EventCalendar", "event_window_labels", "event_window_mask", "load_event_calendar", "read_event_dates"]
