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
Ratio = Annotated[Number, Field(ge=0, le=1)]

#: Collection actions (SPEC §3.2 ``loan.collection_actions[].type``), as the packs and labels know them.
COLLECTION_ACTION_TYPES = (
    "phone", "sms", "email", "visit", "demand_letter", "lawyer_letter", "guarantor_demand", "litigation",
    "arbitration", "enforcement", "collateral_disposal", "restructuring", "other",
)
#: What imports call them: a synonym (case, blanks and dashes ignored) -> the type it means. Unknown values stay
#: unknown and are field errors, so an action the bank took is never silently dropped.
COLLECTION_ACTION_SYNONYMS: dict[str, str] = {
    **{s: "phone" for s in ("call", "phone_call", "telephone", "电话", "电话催收")},
    **{s: "sms" for s in ("text", "text_message", "短信", "短信催收")},
    **{s: "email" for s in ("e_mail", "邮件", "电子邮件")},
    **{s: "visit" for s in ("on_site_visit", "onsite_visit", "home_visit", "上门", "上门催收", "实地催收")},
    **{s: "demand_letter" for s in ("letter", "formal_demand", "demand_notice", "collection_letter", "催收函",
                                    "催收通知", "催收通知书", "逾期催收通知书")},
    **{s: "lawyer_letter" for s in ("attorney_letter", "legal_letter", "律师函")},
    **{s: "guarantor_demand" for s in ("guarantor_notice", "向保证人催收", "担保人催收", "保证人催收")},
    **{s: "litigation" for s in ("lawsuit", "suit", "court", "诉讼", "起诉", "提起诉讼")},
    **{s: "arbitration" for s in ("仲裁",)},
    **{s: "enforcement" for s in ("execution", "强制执行", "申请执行")},
    **{s: "collateral_disposal" for s in ("collateral_sale", "处置押品", "处置抵押物", "押品处置")},
    **{s: "restructuring" for s in ("重组", "贷款重组")},
    **{s: "other" for s in ("其他",)},
}
#: Industries of the 项目资本金 (own capital) minimum (国发〔2015〕51号, 国发〔2019〕26号); ratios are pack parameters.
CAPITAL_INDUSTRIES = (
    "steel", "electrolytic_aluminium", "cement", "coal", "calcium_carbide", "ferroalloy", "caustic_soda", "coke",
    "yellow_phosphorus", "polysilicon", "corn_processing", "airport", "port_shipping", "railway", "highway",
    "urban_rail", "ordinary_housing", "real_estate_other", "other_industrial", "other_infrastructure", "other",
)


def _collection_type(value: Any) -> Any:
    """A known synonym of a collection action type, as the type (anything else is left for the enum to reject)."""
    if not isinstance(value, str):
        return value
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in COLLECTION_ACTION_TYPES else COLLECTION_ACTION_SYNONYMS.get(key, value)


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
    """An overdue-collection action (``type``: one of :data:`COLLECTION_ACTION_TYPES` or a synonym of one)."""

    type: Annotated[Literal[COLLECTION_ACTION_TYPES], BeforeValidator(_collection_type)] | None = None  # type: ignore[valid-type]
    on: Date | None = None


class Archive(StrictModel):
    """Where the file is kept: archived, to be kept until, destroyed (客户台账和基础档案)."""

    archived_on: Date | None = None
    retention_until: Date | None = None
    destroyed_on: Date | None = None


class Loan(StrictModel):
    """The loan after approval: disbursements, classification, monitoring."""

    approved_on: Date | None = None
    approved_amount_cny: Money | None = None
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
    capital_industry: Literal[CAPITAL_INDUSTRIES] | None = None  # type: ignore[valid-type]
    own_capital_ratio: Ratio | None = None
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
    archive: Archive | None = None


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
    stage_field="stage",
))
