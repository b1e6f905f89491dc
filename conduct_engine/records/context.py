"""Reference data of SPEC §3.3: employees, parties, clients and the other joinable facts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from ..fx import ISO_4217
from .base import (
    Code,
    Date,
    DateTime,
    Flag,
    Id,
    ListField,
    Money,
    PartyRelationType,
    StrictModel,
)
from .registry import ChildFact, ContextListSpec, register_context_list

MAX_REFERENCE = 100_000  # reference lists are whole registers, not one hostile record


class Certification(StrictModel):
    """A professional certification held by an employee."""

    type: Literal[
        "banking_professional_junior", "banking_professional_intermediate", "corporate_credit",
        "personal_loan", "wealth_mgmt", "fund_sales", "insurance_sales", "aml",
    ] | None = None
    expires_on: Date | None = None
    status: Literal["valid", "expired", "revoked"] | None = None


class Relation(StrictModel):
    """A personal relation between an employee and a party."""

    party_id: Code | None = None
    relation: Literal["close_relative", "friend", "business_interest", "former_employer"] | None = None


class PartyRelation(StrictModel):
    """A relation between two parties (group, control, family, guarantee, supply chain)."""

    party_id: Code | None = None
    relation: PartyRelationType | None = None


class Employee(StrictModel):
    """An employee of the bank."""

    id: Id
    name: Code | None = None
    role: Literal[
        "customer_manager", "investigator", "reviewer", "approver", "post_loan_officer",
        "compliance", "other",
    ] | None = None
    branch: Code | None = None
    status: Literal["active", "transferred", "left"] | None = None
    status_since: Date | None = None
    monthly_salary_cny: Money | None = None
    certifications: list[Certification] = ListField()
    signing_limit_cny: Money | None = None
    signing_scopes: list[Code] = ListField()
    relations: list[Relation] = ListField()


class Party(StrictModel):
    """A legal or natural person known to the bank."""

    id: Id
    name: Code | None = None
    group_id: Code | None = None
    is_public_official: Flag | None = None
    related: list[PartyRelation] = ListField()


class Client(StrictModel):
    """A client of the bank and its assigned manager."""

    id: Id
    party_id: Code | None = None
    tier: Literal["A", "B", "C"] | None = None
    assigned_manager: Code | None = None
    info_updated_on: Date | None = None


class Application(StrictModel):
    """A credit application and its status."""

    id: Id
    client_id: Code | None = None
    status: Code | None = None
    decided_on: Date | None = None


class RestrictedSecurity(StrictModel):
    """A security on the restricted list for a period (``from``/``to`` inclusive)."""

    security_code: Id
    from_: Date | None = Field(None, alias="from")
    to: Date | None = None


class InsideInformation(StrictModel):
    """Inside information about an issuer, known from a date until disclosed."""

    issuer_party_id: Id
    known_from: Date | None = None
    disclosed_at: DateTime | None = None
    insiders: list[Code] = ListField()


class ApprovedProduct(StrictModel):
    """A product approved for sale for a period (``from``/``to`` inclusive)."""

    code: Id
    from_: Date | None = Field(None, alias="from")
    to: Date | None = None


class FxRate(StrictModel):
    """A dated exchange rate: CNY per unit of an ISO 4217 currency, in force from ``on`` until the next one."""

    currency: Code
    on: Date
    rate: Money

    @model_validator(mode="after")
    def _iso(self) -> FxRate:
        """The code must be ISO 4217 and the rate positive."""
        if self.currency.strip().upper() not in ISO_4217:
            raise PydanticCustomError("unknown_currency", "currency {currency!r} is not an ISO 4217 code",
                                      {"currency": self.currency})
        if self.rate <= 0:
            raise PydanticCustomError("fx_rate", "rate must be positive", {})
        self.currency = self.currency.strip().upper()
        return self


class CalendarDay(StrictModel):
    """A day of the business calendar that differs from Monday–Friday: a public holiday on a weekday, or a
    make-up working day (调休) on a weekend; overrides the bundled calendar for that date."""

    date: Date
    type: Literal["holiday", "workday"]
    name: Code | None = None


class Context(StrictModel):
    """Reference data given with a request or loaded into the service; every list may be empty."""

    employees: list[Employee] = ListField(MAX_REFERENCE)
    parties: list[Party] = ListField(MAX_REFERENCE)
    clients: list[Client] = ListField(MAX_REFERENCE)
    applications: list[Application] = ListField(MAX_REFERENCE)
    restricted_securities: list[RestrictedSecurity] = ListField(MAX_REFERENCE)
    inside_information: list[InsideInformation] = ListField(MAX_REFERENCE)
    approved_products: list[ApprovedProduct] = ListField(MAX_REFERENCE)
    fx_rates: list[FxRate] = ListField(MAX_REFERENCE)
    calendar: list[CalendarDay] = ListField(MAX_REFERENCE)

    @model_validator(mode="after")
    def _unique_ids(self) -> Context:
        """Two entries with one id would make joins ambiguous: reject them."""
        for list_name in ("employees", "parties", "clients", "applications"):
            seen: set[str] = set()
            for index, item in enumerate(getattr(self, list_name)):
                if item.id in seen:
                    raise PydanticCustomError(
                        "duplicate_id", "{list}.{index}.id: id '{id}' appears more than once in {list}",
                        {"list": list_name, "index": index, "id": item.id})
                seen.add(item.id)
        return self



# The reference-data lists (SPEC §3.3): fact type, natural key (a request's entries replace stored ones with
# the same key), child facts (with the parent's key copied onto each child).
register_context_list(ContextListSpec("employees", "employee", "id", {
    "certifications": ChildFact("certification", "employee_id"),
    "relations": ChildFact("employee_relation", "employee_id")}))
register_context_list(ContextListSpec("parties", "party", "id", {
    "related": ChildFact("party_relation", "from_party_id")}))  # party_id is the related party
register_context_list(ContextListSpec("clients", "client", "id"))
register_context_list(ContextListSpec("applications", "application", "id"))
register_context_list(ContextListSpec("restricted_securities", "restricted_security", "security_code"))
register_context_list(ContextListSpec("inside_information", "inside_information", None))
register_context_list(ContextListSpec("approved_products", "approved_product", "code"))
# a request's rates for a currency replace the stored ones for that currency; its calendar days replace those dates
register_context_list(ContextListSpec("fx_rates", "fx_rate", "currency"))
register_context_list(ContextListSpec("calendar", "calendar_day", "date"))
