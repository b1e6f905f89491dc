"""Activity records of SPEC §3.1: declarations and detected activity, one model per kind."""

from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from .base import (
    Code,
    Count,
    Date,
    DateTime,
    Flag,
    Id,
    ListField,
    Money,
    NonNegative,
    StrictModel,
    Text,
)
from .registry import KindSpec, register_kind

Source = Literal[
    "self_declaration", "expense", "core_banking", "crm", "access_log", "trading", "hr", "external",
]
ApprovalStatus = Literal["not_required", "pending", "approved", "rejected"]
GiveOrReceive = Literal["received", "given"]


class Counterparty(StrictModel):
    """The other side of an activity: a party, a client, or both."""

    party_id: Code | None = None
    client_id: Code | None = None
    name: Code | None = None
    group_id: Code | None = None
    is_public_official: Flag | None = None
    is_decision_maker: Flag | None = None


class Activity(StrictModel):
    """Fields common to every activity kind (not itself a record kind)."""

    id: Id
    kind: str
    employee_id: Id
    branch: Code | None = None
    occurred_on: Date | None = None
    declared_at: DateTime | None = None
    source: Source = "self_declaration"
    counterparty: Counterparty | None = None
    related_application_ids: list[Code] = ListField()
    pre_clearance_id: Code | None = None
    approval_status: ApprovalStatus | None = None
    description: Text | None = None


class Gift(Activity):
    """A gift received or given."""

    kind: Literal["gift"]
    direction: GiveOrReceive
    form: Literal[
        "goods", "cash", "red_packet", "digital_red_packet", "prepaid_card", "shopping_card",
        "securities", "payment_voucher", "travel", "membership", "discount", "loan_or_credit",
        "promotional_item",
    ]
    value_cny: Money
    recipients: Annotated[StrictInt, Field(ge=1, lt=10**30)] = 1
    disposition: Literal["kept", "returned", "handed_in", "donated", "pending"] | None = None
    disposition_on: Date | None = None


class Entertainment(Activity):
    """Hospitality received or given; ``cost_per_head_cny`` is derived when absent."""

    kind: Literal["entertainment"]
    direction: GiveOrReceive
    type: Literal[
        "meal", "sports_event", "performance", "golf", "travel", "ktv", "nightclub",
        "sauna_massage", "private_club", "casino", "other",
    ]
    venue_category: Literal["ordinary", "high_end", "prohibited"] | None = None
    host_present: Flag | None = None
    attendees: Annotated[StrictInt, Field(ge=1, lt=10**30)] | None = None
    cost_total_cny: Money | None = None
    cost_per_head_cny: Money | None = None
    includes_travel_lodging: Flag | None = None
    city_tier: Annotated[StrictInt, Field(ge=1, le=3)] | None = None

    @model_validator(mode="after")
    def _derive_cost_per_head(self) -> "Entertainment":
        """Fill cost per head from the total and the attendee count."""
        if self.cost_per_head_cny is None and self.cost_total_cny is not None and self.attendees:
            self.cost_per_head_cny = round(self.cost_total_cny / self.attendees, 2)
        return self


class OutsideActivity(Activity):
    """A part-time job, directorship, lending or other activity outside the bank."""

    kind: Literal["outside_activity"]
    type: Literal[
        "part_time_job", "directorship", "shareholding", "private_lending", "lending_intermediary",
        "guarantee_provision", "consulting", "investment_in_client", "gambling", "other",
    ]
    with_client: Flag | None = None
    compensation_cny: Money | None = None
    approval_id: Code | None = None
    start_on: Date | None = None
    end_on: Date | None = None


class Fee(Activity):
    """A fee charged to a client."""

    kind: Literal["fee"]
    fee_type: Literal[
        "arrangement", "financial_advisory", "consulting", "commitment", "fund_management",
        "guarantee", "appraisal", "intermediary", "other",
    ]
    amount_cny: Money
    payee_type: Literal["bank", "third_party", "employee", "unknown"] | None = None
    payee: Counterparty | None = None  # who receives the fee when it is not the bank (its network is resolved)
    service_delivered: Flag | None = None
    service_evidence_ref: Code | None = None
    application_id: Code | None = None
    is_small_micro_loan: Flag | None = None


class InfoAccess(Activity):
    """An access to client information."""

    kind: Literal["info_access"]
    client_id: Id
    system: Literal["core", "crm", "credit_bureau", "doc_mgmt"] | None = None
    action: Literal[
        "view", "query", "export", "print", "download", "send_external", "inquiry_to_colleague",
    ]
    record_count: Count | None = None
    business_ticket_id: Code | None = None
    authorization_id: Code | None = None
    authorization_signed_at: DateTime | None = None
    destination: Literal["internal", "personal_email", "usb", "cloud", "printer"] | None = None
    accessed_at: DateTime | None = None


class DocumentCustody(Activity):
    """Custody, retention and destruction of a client document."""

    kind: Literal["document_custody"]
    client_id: Code | None = None
    doc_type: Code | None = None
    contains_client_info: Flag | None = None
    location: Literal["archive", "office_secure", "desk", "home", "offsite"] | None = None
    checked_out_on: Date | None = None
    returned_on: Date | None = None
    retention_until: Date | None = None
    destroyed_on: Date | None = None
    destruction_method: Literal["shred", "certified_vendor", "none"] | None = None
    destruction_witness_id: Code | None = None


class Commitment(Activity):
    """A commitment or agreement signed (or issued) towards a client."""

    kind: Literal["commitment"]
    doc_type: Literal[
        "loan_agreement", "credit_line", "commitment_letter", "comfort_letter",
        "guarantee_letter", "mou", "side_letter",
    ]
    is_unconditional: Flag | None = None
    amount_cny: Money | None = None
    signed_on_behalf_of_bank: Flag | None = None
    signed_at: DateTime | None = None
    approval_id: Code | None = None
    approved_amount_cny: Money | None = None
    credit_approval_on: Date | None = None
    uses_bank_seal: Flag | None = None
    registered_in_contract_system: Flag | None = None


class SecuritiesTrade(Activity):
    """A securities trade in an employee's (or related) account."""

    kind: Literal["securities_trade"]
    account_holder: Literal["self", "spouse", "relative", "controlled"] | None = None
    security_code: Id
    issuer_party_id: Code | None = None
    side: Literal["buy", "sell"] | None = None
    amount_cny: Money | None = None
    traded_at: DateTime
    pre_cleared_at: DateTime | None = None


class FundsTransfer(Activity):
    """A transfer of funds in or out of an employee's (or related) account."""

    kind: Literal["funds_transfer"]
    account_holder: Literal["self", "spouse", "relative"] | None = None
    direction: Literal["in", "out"]
    amount_cny: Money
    is_cash: Flag | None = None
    transferred_at: DateTime | None = None


class ExpenseClaim(Activity):
    """An expense claimed from the bank."""

    kind: Literal["expense_claim"]
    expense_type: Literal["meal", "gift_purchase", "travel", "entertainment", "other"]
    amount_cny: Money
    policy_limit_cny: Money | None = None
    receipt_id: Code | None = None
    linked_declaration_id: Code | None = None
    attendee_client_ids: list[Code] = ListField()


class VisitLog(Activity):
    """A visit to a client."""

    kind: Literal["visit_log"]
    client_id: Id
    visit_type: Literal[
        "routine", "marketing", "dd_onsite", "post_loan", "collection", "collateral_check",
    ]
    prearranged: Flag | None = None
    arranged_at: DateTime | None = None
    started_at: DateTime
    ended_at: DateTime | None = None
    distance_from_site_m: NonNegative | None = None
    participants: list[Code] = ListField()
    summary: Text | None = None
    log_submitted_at: DateTime | None = None


class Appointment(Activity):
    """An appointment with a client."""

    kind: Literal["appointment"]
    client_id: Id
    scheduled_at: DateTime
    arrived_at: DateTime | None = None
    status: Literal["kept", "late", "no_show", "cancelled_by_bank", "cancelled_by_client"]
    cancelled_at: DateTime | None = None
    location_type: Literal[
        "branch", "client_premises", "public_place", "residence", "online",
    ] | None = None
    sensitive_topics: Flag | None = None


class Complaint(Activity):
    """A client complaint and its handling times."""

    kind: Literal["complaint"]
    client_id: Id
    received_at: DateTime
    first_response_at: DateTime | None = None
    resolved_at: DateTime | None = None
    extension_approved: Flag | None = None


class Escalation(Activity):
    """An issue detected by an employee and (perhaps) reported."""

    kind: Literal["escalation"]
    issue_type: Literal["suspected_violation", "risk_signal", "client_anomaly", "other"]
    detected_at: DateTime
    reported_at: DateTime | None = None
    reported_to: Code | None = None


class Handover(Activity):
    """A handover of clients from one employee to another."""

    kind: Literal["handover"]
    employee_id: Id | None = None  # type: ignore[assignment]  # the parties are from/to_employee_id
    client_ids: list[Id] = Field(min_length=1, max_length=500)
    from_employee_id: Id
    to_employee_id: Code | None = None
    trigger: Literal["departure", "transfer", "reassignment"]
    trigger_on: Date
    completed_on: Date | None = None
    checklist_complete: Flag | None = None


class ProductSale(Activity):
    """A product sold to a client."""

    kind: Literal["product_sale"]
    client_id: Id
    product_code: Id
    product_type: Literal["deposit", "wealth", "fund", "insurance", "loan", "other"]
    sold_at: DateTime
    recorded_av: Flag | None = None


# One KindSpec per kind: where its money is, its own date, whom it is about (records/registry.py).
_PARTIES = {"counterparty": "network"}  # SPEC §3.5: who is behind the counterparty
_FEE_PARTIES = {"counterparty": "network", "payee": "payee_network"}

register_kind(KindSpec("gift", Gift, party_paths=_PARTIES, money_fields=("value_cny",)))
register_kind(KindSpec("entertainment", Entertainment, party_paths=_PARTIES, money_fields=("cost_total_cny",)))
register_kind(KindSpec("outside_activity", OutsideActivity, party_paths=_PARTIES,
                       money_fields=("compensation_cny",)))
register_kind(KindSpec("fee", Fee, party_paths=_FEE_PARTIES, money_fields=("amount_cny",)))
register_kind(KindSpec("info_access", InfoAccess, party_paths=_PARTIES,
                       date_fields=("accessed_at", "occurred_on")))
register_kind(KindSpec("document_custody", DocumentCustody, party_paths=_PARTIES))
register_kind(KindSpec("commitment", Commitment, party_paths=_PARTIES, money_fields=("amount_cny",),
                       date_fields=("signed_at", "occurred_on")))
register_kind(KindSpec("securities_trade", SecuritiesTrade, party_paths=_PARTIES, money_fields=("amount_cny",),
                       date_fields=("traded_at", "occurred_on")))
register_kind(KindSpec("funds_transfer", FundsTransfer, party_paths=_PARTIES, money_fields=("amount_cny",),
                       date_fields=("transferred_at", "occurred_on")))
register_kind(KindSpec("expense_claim", ExpenseClaim, party_paths=_PARTIES, money_fields=("amount_cny",)))
register_kind(KindSpec("visit_log", VisitLog, party_paths=_PARTIES, date_fields=("started_at", "occurred_on")))
register_kind(KindSpec("appointment", Appointment, party_paths=_PARTIES,
                       date_fields=("scheduled_at", "occurred_on")))
register_kind(KindSpec("complaint", Complaint, party_paths=_PARTIES, date_fields=("received_at", "occurred_on")))
register_kind(KindSpec("escalation", Escalation, party_paths=_PARTIES,
                       date_fields=("detected_at", "occurred_on")))
register_kind(KindSpec("handover", Handover, party_paths=_PARTIES, date_fields=("trigger_on", "occurred_on")))
register_kind(KindSpec("product_sale", ProductSale, party_paths=_PARTIES,
                       date_fields=("sold_at", "occurred_on")))
