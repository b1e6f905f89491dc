"""The loan due-diligence file of SPEC §3.2 (``kind: loan_file``) and its nested sections."""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictInt
from pydantic_core import PydanticCustomError

from .base import (
    MAX_LIST,
    MAX_TEXT,
    Code,
    Count,
    Date,
    DateTime,
    Flag,
    Id,
    ListField,
    Money,
    Number,
    PartyRelationType,
    StrictModel,
    Text,
)
from .registry import ChildFact, KindSpec, register_kind

ModuleCode = Literal[
    "subject", "product_market", "related_parties", "financials", "rating", "credit",
    "guarantee", "term",
]
Months = Annotated[StrictInt, Field(ge=1, lt=10**30)]


def _one_or_many(value: Any) -> Any:
    """Accept a single id where a list of ids is expected."""
    return [value] if isinstance(value, str) else value


def _finding(value: Any) -> Any:
    """A finding is a JSON scalar (string, finite number, boolean, null) or a list of them."""
    if isinstance(value, list) and len(value) <= MAX_LIST and all(map(_is_scalar, value)):
        return value
    if _is_scalar(value):
        return value
    raise PydanticCustomError(
        "finding_type",
        "A finding should be a string, number, boolean or null, or a list of up to 500 of those",
    )


def _is_scalar(value: Any) -> bool:
    """True for JSON scalars within the size limits."""
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    return value is None or isinstance(value, (bool, int))


Ids = Annotated[list[Code], BeforeValidator(_one_or_many), Field(max_length=MAX_LIST)]
Finding = Annotated[Any, BeforeValidator(_finding)]


class Borrower(StrictModel):
    """The borrower of a loan file."""

    party_id: Code | None = None
    client_id: Code | None = None
    name: Code | None = None
    type: Literal["corporate", "individual"] | None = None
    industry_code: Code | None = None
    group_id: Code | None = None
    credit_status: Literal["good", "average", "poor"] | None = None
    is_new_client: Flag | None = None


class Team(StrictModel):
    """The due-diligence team."""

    lead_investigator: Id
    co_investigators: list[Code] = ListField()
    reviewers: list[Code] = ListField()
    approvers: list[Code] = ListField()


class Step(StrictModel):
    """One due-diligence step: when it ran and who did it."""

    started_on: Date | None = None
    completed_on: Date | None = None
    by: Ids = Field(default_factory=list)


class Steps(StrictModel):
    """The five due-diligence steps."""

    acceptance: Step | None = None
    collection: Step | None = None
    site_visit: Step | None = None
    analysis: Step | None = None
    report: Step | None = None


class Material(StrictModel):
    """One document or piece of evidence collected."""

    type: Literal[
        "business_license", "articles", "legal_rep_id", "board_resolution", "audited_fs",
        "interim_fs", "tax_returns", "bank_statements", "credit_report", "purchase_contracts",
        "sales_contracts", "project_approvals", "collateral_title", "appraisal_report",
        "guarantor_docs", "other",
    ] | None = None
    required: Flag | None = None
    source_type: Literal[
        "client_provided", "government_registry", "intermediary", "peer_bank",
        "upstream_supplier", "downstream_customer", "affiliate", "competitor",
        "internal_records", "public_media", "onsite_observation",
    ] | None = None
    source_name: Code | None = None
    obtained_on: Date | None = None
    verified: Flag | None = None
    verification_method: Literal[
        "original_sighted", "registry_check", "third_party_confirmation", "cross_check", "none",
    ] | None = None
    original_checked: Flag | None = None
    verified_by: Code | None = None
    verified_on: Date | None = None
    as_of: Date | None = None
    valid_until: Date | None = None
    discrepancy: Flag | None = None
    discrepancy_note: Text | None = None
    figures: dict[Code, Number] = Field(default_factory=dict, max_length=MAX_LIST)


class SiteVisit(StrictModel):
    """An on-site (or video) visit made during due diligence."""

    date: Date | None = None
    location_type: Literal[
        "registered_office", "production_site", "project_site", "warehouse", "collateral_site",
        "residence",
    ] | None = None
    mode: Literal["on_site", "video"] | None = None
    investigators: list[Code] = ListField()


class Interview(StrictModel):
    """An interview held during due diligence; ``by`` lists the interviewers."""

    role: Literal[
        "legal_rep", "actual_controller", "general_manager", "finance_head", "other_senior_mgmt",
        "frontline_employee", "warehouse_keeper", "guarantor", "borrower", "co_borrower_spouse",
    ] | None = None
    mode: Literal["face_to_face", "video", "phone"] | None = None
    date: Date | None = None
    by: Ids = Field(default_factory=list)
    record_signed: Flag | None = None


class Analysis(StrictModel):
    """The credit analysis: policy class, risk points, opinion."""

    industry_policy_class: Literal[
        "encouraged", "supported", "permitted", "restricted", "prohibited", "exit",
    ] | None = None
    policy_version: Code | None = None
    required_risk_points: list[Code] = ListField()
    addressed_risk_points: list[Code] = ListField()
    repayment_source_analysed: Flag | None = None
    opinion: Literal["approve", "conditional", "decline"] | None = None
    conditions: list[Text] = ListField()
    completed_on: Date | None = None


class Report(StrictModel):
    """The due-diligence report."""

    date: Date | None = None
    signed_by: Ids = Field(default_factory=list)
    modules_covered: list[ModuleCode] = ListField()
    recommended_amount_cny: Money | None = None
    recommended_term_months: Months | None = None


class Module(StrictModel):
    """One report module: its status and open-ended findings."""

    status: Literal["completed", "not_applicable", "missing"]
    findings: dict[Code, Finding] = Field(default_factory=dict, max_length=MAX_LIST)


class Modules(StrictModel):
    """The report modules, keyed by module code."""

    subject: Module | None = None
    product_market: Module | None = None
    related_parties: Module | None = None
    financials: Module | None = None
    rating: Module | None = None
    credit: Module | None = None
    guarantee: Module | None = None
    term: Module | None = None


class RelatedParty(StrictModel):
    """A party related to the borrower."""

    party_id: Code | None = None
    relation: PartyRelationType | None = None


class Collateral(StrictModel):
    """The collateral behind a mortgage or pledge."""

    type: Literal[
        "residential_re", "commercial_re", "land_use_right", "equipment", "inventory",
        "receivables", "deposit", "government_bond", "equity",
    ] | None = None
    appraised_value_cny: Money | None = None
    secured_amount_cny: Money | None = None
    appraiser_party_id: Code | None = None
    appraised_on: Date | None = None
    registration_status: Literal["registered", "pending", "none"] | None = None
    registered_on: Date | None = None
    right_expiry_on: Date | None = None


class Guarantee(StrictModel):
    """A guaranty, mortgage or pledge securing the loan."""

    type: Literal["guaranty", "mortgage", "pledge"] | None = None
    guarantor_party_id: Code | None = None
    guarantor_net_assets_cny: Money | None = None
    guarantor_external_guarantees_cny: Money | None = None
    amount_cny: Money | None = None
    contract_signed_on: Date | None = None
    face_to_face_signed: Flag | None = None
    witnesses: list[Code] = ListField()
    collateral: Collateral | None = None


class Disbursement(StrictModel):
    """One disbursement of the loan."""

    amount_cny: Money | None = None
    disbursed_on: Date | None = None
    payment_method: Literal["entrusted", "self"] | None = None


class Inspection(StrictModel):
    """A post-loan inspection."""

    type: Literal["first_tracking", "routine", "special"] | None = None
    due_on: Date | None = None
    performed_on: Date | None = None
    on_site: Flag | None = None
    funds_usage_verified: Flag | None = None
    repayment_capacity_assessed: Flag | None = None
    guarantee_change_assessed: Flag | None = None


class MaturityNotice(StrictModel):
    """A maturity notice sent to the borrower."""

    sent_on: Date | None = None


class CollectionAction(StrictModel):
    """An overdue-collection action."""

    type: Code | None = None
    on: Date | None = None


class Loan(StrictModel):
    """The loan after approval: disbursements, classification, monitoring."""

    disbursements: list[Disbursement] = ListField()
    maturity_on: Date | None = None
    risk_class: Literal["normal", "special_mention", "substandard", "doubtful", "loss"] | None = None
    overdue_days: Count | None = None
    inspections: list[Inspection] = ListField()
    maturity_notices: list[MaturityNotice] = ListField()
    collection_actions: list[CollectionAction] = ListField()


class LoanFile(StrictModel):
    """A loan due-diligence file, from acceptance to post-loan."""

    id: Id
    kind: Literal["loan_file"]
    branch: Code | None = None
    stage: Literal["pre_submission", "approved", "disbursed", "post_loan"] = "pre_submission"
    product_type: Literal[
        "working_capital", "fixed_asset", "project_finance", "personal_consumer",
        "personal_business", "trade_finance",
    ]
    borrower: Borrower
    requested_amount_cny: Money
    term_months: Months
    purpose_code: Code | None = None
    purpose_text: Text | None = None
    guarantee_mode: Literal["credit", "guaranty", "mortgage", "pledge", "mixed"] | None = None
    referral_channel: Literal["direct", "branch", "broker", "partner"] | None = None
    broker_party_id: Code | None = None
    wc_need_estimate_cny: Money | None = None
    total_project_investment_cny: Money | None = None
    received_at: DateTime | None = None
    accepted_on: Date | None = None
    team: Team | None = None
    steps: Steps | None = None
    materials: list[Material] = ListField()
    site_visits: list[SiteVisit] = ListField()
    interviews: list[Interview] = ListField()
    analysis: Analysis | None = None
    report: Report | None = None
    modules: Modules | None = None
    related_parties: list[RelatedParty] = ListField()
    guarantees: list[Guarantee] = ListField()
    loan: Loan | None = None


register_kind(KindSpec(
    "loan_file", LoanFile, money_fields=("requested_amount_cny",),
    date_fields=("report.date", "accepted_on", "received_at"),
    subject_paths=("team.lead_investigator", "borrower.party_id", "borrower.client_id"),
    child_facts={"materials": ChildFact("material"), "site_visits": ChildFact("site_visit"),
                 "interviews": ChildFact("interview"), "related_parties": ChildFact("related_party"),
                 "guarantees": ChildFact("guarantee"), "loan.disbursements": ChildFact("disbursement"),
                 "loan.inspections": ChildFact("inspection"), "loan.maturity_notices": ChildFact("maturity_notice"),
                 "loan.collection_actions": ChildFact("collection_action")},
    # 审贷分离: one team_member fact per person and role, so rules can join on people
    team_path="team", team_roles={"lead_investigator": "lead_investigator", "co_investigators": "co_investigator",
                                  "reviewers": "reviewer", "approvers": "approver"},
))
