"""Calendars: trading days (NYSE, CFE, Cboe Options), expiry rules (VX, SPX), event calendars.

The names below are imported from their modules on first use (PEP 562), so that importing one
module of the package (``alvh.calendar.trading``, which needs numpy only) does not import the others
and pandas: ``alvh data info`` runs without pandas (docs/cli.md, "Start-up and whole-process time").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alvh.calendar.events import (
        EventCalendar,
        event_window_labels,
        event_window_mask,
        load_event_calendar,
        read_event_dates,
    )
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

#: public name -> the module that defines it
_WHERE: dict[str, str] = {
    **dict.fromkeys(
        (
            "MONTH_CODES",
            "VX_RULE_TEXT",
            "VX_SETTLEMENT_EXCEPTIONS",
            "check_vx_expiries",
            "check_vx_expiry",
            "parse_vx_contract",
            "spx_expiries_between",
            "spx_monthly_expiry",
            "third_friday",
            "vx_contract_code",
            "vx_contract_for_expiry",
            "vx_expiries_between",
            "vx_final_settlement",
            "vx_final_settlement_rule",
        ),
        "alvh.calendar.expiries",
    ),
    **dict.fromkeys(
        ("CFE_EXTRA_SESSIONS", "is_session", "previous_session", "sessions_between", "trading_days"),
        "alvh.calendar.trading",
    ),
    **dict.fromkeys(
        ("EventCalendar", "event_window_labels", "event_window_mask", "load_event_calendar", "read_event_dates"),
        "alvh.calendar.events",
    ),
}

__all__ = [
    "CFE_EXTRA_SESSIONS",
    "EventCalendar",
    "MONTH_CODES",
    "VX_RULE_TEXT",
    "VX_SETTLEMENT_EXCEPTIONS",
    "check_vx_expiries",
    "check_vx_expiry",
    "event_window_labels",
    "event_window_mask",
    "is_session",
    "load_event_calendar",
    "parse_vx_contract",
    "previous_session",
    "read_event_dates",
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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'alvh.calendar' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
