"""The record union: every kind, its model and its primary money field."""

from typing import Annotated, Union, get_args

from pydantic import Field

from .activities import ACTIVITY_MODELS
from .base import StrictModel
from .loan_file import LoanFile

_MODELS: tuple[type[StrictModel], ...] = (*ACTIVITY_MODELS, LoanFile)

Record = Annotated[Union[_MODELS], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007

RECORD_KINDS: tuple[str, ...] = tuple(get_args(m.model_fields["kind"].annotation)[0] for m in _MODELS)

MODEL_BY_KIND: dict[str, type[StrictModel]] = dict(zip(RECORD_KINDS, _MODELS, strict=True))

MONEY_FIELD_BY_KIND: dict[str, str] = {
    "gift": "value_cny",
    "entertainment": "cost_total_cny",
    "outside_activity": "compensation_cny",
    "fee": "amount_cny",
    "commitment": "amount_cny",
    "securities_trade": "amount_cny",
    "funds_transfer": "amount_cny",
    "expense_claim": "amount_cny",
    "loan_file": "requested_amount_cny",
}
