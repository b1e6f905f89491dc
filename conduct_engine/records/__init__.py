"""Input-record models of SPEC §3 (activities, loan files, context) and their parsers."""

from .activities import (
    Activity,
    Appointment,
    Commitment,
    Complaint,
    Counterparty,
    DocumentCustody,
    Entertainment,
    Escalation,
    ExpenseClaim,
    Fee,
    FundsTransfer,
    Gift,
    Handover,
    InfoAccess,
    OutsideActivity,
    ProductSale,
    SecuritiesTrade,
    VisitLog,
)
from .base import StrictModel
from .context import (
    Application,
    ApprovedProduct,
    Certification,
    Client,
    Context,
    Employee,
    InsideInformation,
    Party,
    PartyRelation,
    Relation,
    RestrictedSecurity,
)
from .loan_file import LoanFile
from .parse import RecordError, parse_context, parse_record
from .registry import (
    MODEL_BY_KIND,
    ChildFact,
    ContextListSpec,
    KindSpec,
    kind_spec,
    kind_specs,
    record_kinds,
    register_kind,
)

__all__ = [
    "MODEL_BY_KIND", "ChildFact", "ContextListSpec", "KindSpec", "kind_spec", "kind_specs", "record_kinds",
    "register_kind", "RecordError",
    "Context", "parse_context", "parse_record", "StrictModel",
    "Activity", "Counterparty", "Gift", "Entertainment", "OutsideActivity", "Fee", "InfoAccess",
    "DocumentCustody", "Commitment", "SecuritiesTrade", "FundsTransfer", "ExpenseClaim",
    "VisitLog", "Appointment", "Complaint", "Escalation", "Handover", "ProductSale", "LoanFile",
    "Employee", "Certification", "Relation", "Party", "PartyRelation", "Client", "Application",
    "RestrictedSecurity", "InsideInformation", "ApprovedProduct",
]
