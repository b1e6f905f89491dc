"""Every stable error code a user can see, in one place: the values are part of the contract (tests assert them).

Codes name a situation, not a layer: an HTTP answer, a CLI message, a pack issue and a finding all draw from
here. Rename a constant freely; never change a value.
"""

from __future__ import annotations

# ---- any error ------------------------------------------------------------------------------------------
ERROR = "error"  #: a ConductError that names nothing finer

# ---- inputs: records, context, files --------------------------------------------------------------------
INVALID_RECORD = "invalid_record"  #: a record or context failed validation (RecordError)
INVALID_INPUT = "invalid_input"  #: an HTTP request with invalid input (422)
INPUT_FORMAT = "input_format"  #: a file or stream that is not JSON, JSON Lines or YAML
DATE_FORMAT = "date_format"  #: a date that is not YYYY-MM-DD
MISSING = "missing"  #: a required field is absent
AMOUNT_NOT_ALLOWED = "amount_not_allowed"  #: amount and currency on a kind without a money field
AMOUNT_CONFLICT = "amount_conflict"  #: both amount/currency and the CNY field
JSON_INVALID = "json_invalid"  #: a body that is not JSON
VALUE_ERROR = "value_error"  #: a value that is wrong in a way with no finer code
DICT_TYPE = "dict_type"  #: a record or context that is not a JSON object
UNKNOWN_KIND = "union_tag_invalid"  #: a record kind that does not exist (pydantic's name for it)
NUMBER_TYPE = "number_type"  #: a money amount that is not a number
FINITE_NUMBER = "finite_number"  #: a money amount that is negative, NaN or infinite
UNKNOWN_CURRENCY = "unknown_currency"  #: a currency code that is not ISO 4217
NO_FX_RATE = "no_fx_rate"  #: an ISO 4217 currency with no rate on the record's date (fx_rates, pack table)
UNKNOWN_RULE = "unknown_rule"  #: a rule id that the loaded packs do not have
WAIVER_EXPIRED = "waiver_expired"  #: a waiver whose expiry date is already past
EMPTY_REFERENCE = "empty_reference"  #: a reference-data upload that would replace everything with nothing
UNSUPPORTED_UPLOAD = "unsupported_upload"  #: an uploaded file of a type a scan cannot read
UNKNOWN_PARAMETER = "unknown_parameter"  #: a backtest change names a parameter the packs do not have
PARAMETER_TYPE = "parameter_type"  #: a backtest change gives a parameter a value of the wrong type
OVERRIDE_SYNTAX = "override_syntax"  #: a backtest change that is not PARAM=VALUE or BRANCH:PARAM=VALUE

# ---- the rule engine ------------------------------------------------------------------------------------
ENGINE_ERROR = "engine_error"  #: the engine could not evaluate a record (the finding of its review violation)
ENGINE_NORMALISE = "normalise"  #: a value the engine cannot hold (NaN, an unsupported type)
ENGINE_ACTION = "action"  #: a rule action failed, or an unknown action
ENGINE_TOO_MANY_PROPERTIES = "too_many_properties"  #: a fact beyond the engine's property limit
ENGINE_DUPLICATE_FACT = "duplicate_fact"  #: a fact id asserted twice in one session
ENGINE_INCOMPLETE = "incomplete"  #: the evaluation did not reach its end marker

# ---- rule packs -----------------------------------------------------------------------------------------
INVALID_PACK = "invalid_pack"  #: a rule pack failed to load (PackError); its issues carry finer codes

# ---- scans and settings ---------------------------------------------------------------------------------
SCAN_INPUT = "scan_input"  #: a scan cannot start (ScanInputError)
INVALID_SETTINGS = "invalid_settings"  #: an environment variable has a value that cannot be used

# ---- review cases (SPEC §9) -----------------------------------------------------------------------------
CASE_TRANSITION = "case_transition"  #: 409: the case's status does not allow this action
OWN_CASE = "own_case"  #: 403: a reviewer acting on a case whose subject they are
FOUR_EYES = "four_eyes"  #: 403: the approval of a close must come from a second reviewer
NOT_CASE_SUBJECT = "not_case_subject"  #: 403: only the case's subject may do this (acknowledge)
CASE_NOT_FOUND = "case_not_found"  #: 404: no such case visible to this key

# ---- HTTP answers (the ``code`` of every error body) ----------------------------------------------------
BAD_REQUEST = "bad_request"  #: 400: a body that cannot be parsed at all (multipart)
UNAUTHORIZED = "unauthorized"  #: 401: no API key, or an unknown or revoked one
FORBIDDEN = "forbidden"  #: 403: the key's role may not do this, or a path outside the scan root
NOT_FOUND = "not_found"  #: 404: no such path, or no such object visible to the key
METHOD_NOT_ALLOWED = "method_not_allowed"  #: 405
CONFLICT = "conflict"  #: 409: the object is not in a state that allows this (a scan not done)
PAYLOAD_TOO_LARGE = "payload_too_large"  #: 413: a body over the byte limit
BATCH_TOO_LARGE = "batch_too_large"  #: 413: a batch over the record limit
RATE_LIMITED = "rate_limited"  #: 429: over the key's request budget, or too many failed logins from an address
TOO_MANY_JOBS = "too_many_jobs"  #: 429: the cap on concurrent scan/backtest jobs (per key or in all) is reached
STORE_UNAVAILABLE = "store_unavailable"  #: 503: the database refused or lost the connection
INTERNAL_ERROR = "internal_error"  #: 500: a bug; logged, never shown

#: The code of an HTTP error answer that carries none of its own, by status.
HTTP_STATUS_CODES: dict[int, str] = {
    400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 409: CONFLICT,
    413: PAYLOAD_TOO_LARGE, 422: INVALID_INPUT, 429: RATE_LIMITED, 500: INTERNAL_ERROR, 503: STORE_UNAVAILABLE,
}

# ---- rule packs: the code of each PackIssue (file:line) and condition error (ExprError) ------------------
AGGREGATE_DUPLICATE = "aggregate.duplicate"
AGGREGATE_ENUM = "aggregate.enum"
AGGREGATE_FIELD = "aggregate.field"
AGGREGATE_KIND = "aggregate.kind"
AGGREGATE_MEASURE = "aggregate.measure"
AGGREGATE_NAME = "aggregate.name"
BRANCH_TYPE = "branch.type"
BRANCH_UNKNOWN_PARAM = "branch.unknown_param"
CONDITION_ARITH = "condition.arith"
CONDITION_BARE_NAME = "condition.bare_name"
CONDITION_CALL = "condition.call"
CONDITION_COMPARISON = "condition.comparison"
CONDITION_CONSTANT = "condition.constant"
CONDITION_DATE = "condition.date"
CONDITION_EMPTY = "condition.empty"
CONDITION_ENUM = "condition.enum"
CONDITION_IN = "condition.in"
CONDITION_JOIN = "condition.join"
CONDITION_NUMBER = "condition.number"
CONDITION_OPERAND = "condition.operand"
CONDITION_OPERATOR = "condition.operator"
CONDITION_REGEX = "condition.regex"
CONDITION_SYNTAX = "condition.syntax"
CONDITION_TOO_COMPLEX = "condition.too_complex"
CONDITION_TOO_DEEP = "condition.too_deep"
CONDITION_TOO_LONG = "condition.too_long"
CONDITION_TYPE = "condition.type"
CONDITION_UNKNOWN_FIELD = "condition.unknown_field"
CONDITION_UNSUPPORTED = "condition.unsupported"
DERIVED_ARGUMENT = "derived.argument"
DERIVED_FIELD = "derived.field"
DERIVED_FUNCTION = "derived.function"
DERIVED_KIND = "derived.kind"
DERIVED_NAME = "derived.name"
DERIVED_SHAPE = "derived.shape"
DERIVED_SYNTAX = "derived.syntax"
ENGINE_REGISTER = "engine.register"
FX_RATE = "fx.rate"
LABELS_SHAPE = "labels.shape"
MATCH_ALIAS = "match.alias"
MATCH_SYNTAX = "match.syntax"
MATCH_TYPE = "match.type"
PACK_MISSING = "pack.missing"
PACK_SHAPE = "pack.shape"
PARAM_DUPLICATE = "param.duplicate"
PARAM_NAME = "param.name"
PARAM_SHAPE = "param.shape"
RULE_APPLIES_TO = "rule.applies_to"
RULE_CONDITION = "rule.condition"
RULE_DUPLICATE_ID = "rule.duplicate_id"
RULE_EFFECTIVE = "rule.effective"
RULE_EXPAND = "rule.expand"
RULE_PLACEHOLDER = "rule.placeholder"
RULE_STAGES = "rule.stages"
RULE_STANDARD = "rule.standard"
RULE_TESTS = "rule.tests"
RULE_TOO_MANY_FACTS = "rule.too_many_facts"
RULESET_TOO_LARGE = "ruleset.too_large"
STANDARDS_READ = "standards.read"
TESTS_KIND = "tests.kind"
YAML_DUPLICATE_KEY = "yaml.duplicate_key"
YAML_READ = "yaml.read"
YAML_SYNTAX = "yaml.syntax"
YAML_TOO_DEEP = "yaml.too_deep"
YAML_TOO_LARGE = "yaml.too_large"
# YAML read by untrusted.py (a pack, a mapping, a reference-data file)
JSON_SYNTAX = "json.syntax"
JSON_TOO_DEEP = "json.too_deep"
YAML_COMPLEX_KEY = "yaml.complex_key"
YAML_CUSTOM_TAG = "yaml.custom_tag"
YAML_RECURSIVE_ALIAS = "yaml.recursive_alias"
YAML_TOO_MANY_NODES = "yaml.too_many_nodes"
NUMBER_UNREADABLE = "number"  #: a number too long or too large to read exactly (YAML)
DUPLICATE_KEY = "duplicate_key"  #: a mapping key given twice (YAML)
