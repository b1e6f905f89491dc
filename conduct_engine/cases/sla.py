"""Case due dates: a number of business days by decision (named pack parameters, branch overrides allowed),
counted over the business calendar (the State Council's holidays and make-up working days, plus the ``holidays`` and
``makeup_workdays`` parameters of ``rules/common.yaml``: conduct_engine/business_calendar.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conduct_engine.business_calendar import BusinessCalendar, of_parameters

#: Business days to close a case, by decision, when the packs name no ``case_sla_<decision>_bd`` parameter.
DEFAULT_SLA_DAYS = {"block": 2, "review": 5}


def sla_days(params: dict[str, Any], decision: str) -> int:
    """Business days allowed for a case of ``decision`` under these parameters."""
    value = params.get(f"case_sla_{decision}_bd", DEFAULT_SLA_DAYS.get(decision, DEFAULT_SLA_DAYS["review"]))
    return int(value)


class CasePolicy:
    """Due dates of new cases for one set of packs (prepared once per pack load)."""

    def __init__(self, parameters: dict[str, Any], branches: dict[str, dict[str, Any]] | None = None):
        self._parameters = parameters
        self._branches = branches or {}
        self._calendars: dict[str | None, BusinessCalendar] = {}

    @classmethod
    def of(cls, packs: Any) -> CasePolicy:
        """The policy of loaded packs (their parameters and branch overrides)."""
        return cls(packs.parameters, packs.branches)

    def params(self, branch: str | None) -> dict[str, Any]:
        """The parameters in force for a branch."""
        if branch and branch in self._branches:
            return {**self._parameters, **self._branches[branch]}
        return self._parameters

    def due_on(self, decision: str, branch: str | None, opened_on: dt.date) -> dt.date:
        """When a case of ``decision`` opened on ``opened_on`` in ``branch`` is due."""
        params = self.params(branch)
        if branch not in self._calendars:
            self._calendars[branch] = of_parameters(params)
        return self._calendars[branch].add_business_days(opened_on, sla_days(params, decision))
