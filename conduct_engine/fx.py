"""Money in any ISO 4217 currency: rates as dated reference data over the pack's default table.

A record may give ``amount`` and ``currency`` instead of its ``*_cny`` field (SPEC §3). The rate used is, in
order: the latest ``fx_rates`` entry of the reference data (or the request's context) for that currency dated
on or before the record's own date; else the pack's ``fx`` table (indicative defaults for the common
currencies); CNY is 1. A code that is not ISO 4217 and a currency with no rate are field errors that say so.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ISO_4217", "FxTable"]

#: Active ISO 4217 codes (incl. funds and precious-metal codes), list of 2025.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF
CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG
XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
""".split())


class FxTable:
    """CNY per unit of each currency: dated rates over undated defaults."""

    def __init__(self, defaults: Mapping[str, float] | None = None,
                 dated: Iterable[tuple[str, dt.date, float]] = ()):
        self.defaults = {"CNY": 1.0, **{str(k).upper(): float(v) for k, v in (defaults or {}).items()}}
        series: dict[str, list[tuple[dt.date, float]]] = {}
        for currency, day, rate in dated:
            series.setdefault(currency.upper(), []).append((day, float(rate)))
        self._days = {c: [d for d, _ in sorted(rows)] for c, rows in series.items()}
        self._rates = {c: [r for _, r in sorted(rows)] for c, rows in series.items()}

    @classmethod
    def of(cls, defaults: Mapping[str, float] | FxTable | None, context: Any = None) -> FxTable:
        """The table for a pack's ``fx`` and a context's ``fx_rates`` (a table is returned as it is)."""
        if isinstance(defaults, FxTable):
            return defaults
        rates = getattr(context, "fx_rates", None) or ()
        return cls(defaults, [(r.currency, r.on, r.rate) for r in rates])

    def rate(self, currency: str, on: dt.date | None) -> float | None:
        """The rate in force on ``on`` (the latest dated one up to that day, else the default)."""
        code = currency.strip().upper()
        days = self._days.get(code)
        if days:
            index = bisect.bisect_right(days, on) if on is not None else len(days)
            if index:
                return self._rates[code][index - 1]
        return self.defaults.get(code)

    def known(self) -> list[str]:
        """Every currency with a rate (default or dated)."""
        return sorted(set(self.defaults) | set(self._days))

    def problem(self, currency: Any, on: dt.date | None) -> str | None:
        """Why ``currency`` cannot be converted on ``on`` (None when it can)."""
        if not isinstance(currency, str) or currency.strip().upper() not in ISO_4217:
            return f"Unknown currency {currency!r}: not an ISO 4217 code"
        if self.rate(currency, on) is None:
            when = f" on {on.isoformat()}" if on else ""
            return (f"No exchange rate for {currency.strip().upper()}{when}: give it in fx_rates of the reference data or "
                    f"the request context (the pack's table has {', '.join(self.known())})")
        return None
