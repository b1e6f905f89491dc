"""Derived values: computed from the record in Python before the rules run, declared in a pack.

durable_rules cannot count business days or take the minimum of a list, so a pack may declare::

    derived:
      declaration_lag_bd:
        applies_to: [gift, entertainment]
        value: business_days(occurred_on, declared_at)

and rules read ``declaration_lag_bd`` like a field. Functions (the only ones; nothing is eval'ed):

- ``days(a, b)`` calendar days from date/datetime ``a`` to ``b`` (``b - a``, whole days of the dates)
- ``hours(a, b)`` hours from datetime ``a`` to ``b``; ``minutes(a, b)`` the same in whole minutes (rounded down)
- ``per(a, b)`` a number field divided by a count field when that is given and positive, else ``a`` itself
  (a team gift's value per recipient: ``per(value_cny, recipients)``)
- ``words(text)`` how much a text says: each Chinese character counts as one (a Chinese word is one or two of
  them, and no blanks separate them), each other word or number as one — so a short but substantive Chinese
  summary is not measured like a short English one
- ``length(field)`` the number of characters of a text field (blanks at either end not counted), or how many
  entries a mapping (a module's findings) or list holds, null ones not counted
- ``business_days(a, b)`` Monday–Friday days after ``a`` up to and including ``b`` (less the
  ``holidays`` parameter when the pack defines one); negative when ``b`` is before ``a``
- ``count(list)`` items in a list; ``sum(list.field)``, ``min(list.field)``, ``max(list.field)``
  over a list of objects (dates give day numbers, so they compare with dates);
  ``distinct(list.field, exclude=[…])`` the number of distinct values
- ``first(list.field)`` the value of the first item (file order) that has one
- ``max_gap(list.field)`` the longest stretch, in days, between two consecutive dates of the list (sorted);
  missing when fewer than two items have a date (e.g. the longest gap between post-loan inspections)
- ``missing_from(a, b)`` how many values of field ``a`` (one value or a list) are not in field ``b``
  (a list or one value), e.g. investigators who did not sign the report; missing when ``a`` or
  ``b`` is absent
- item filters: ``count``, ``sum``, ``min``, ``max``, ``distinct`` and ``first`` take keyword
  filters on the items' own fields, a value or a list of values:
  ``max(materials.as_of, type=["audited_fs", "interim_fs"])``,
  ``first(materials.figures.revenue_cny, type="tax_returns")``,
  ``count(materials, source_type="client_provided", verification_method="none")``
A value whose inputs are missing is missing, so rules that need it do not fire.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any

from conduct_engine import error_codes
from conduct_engine.business_calendar import BusinessCalendar, of_parameters
from conduct_engine.dates import day_number, parse_when
from conduct_engine.packs.fields import FieldType, catalog, lookup
from conduct_engine.packs.model import Derived
from conduct_engine.packs.problems import ExprError, did_you_mean
from conduct_engine.paths import get_path

FUNCTIONS = ("days", "hours", "business_days", "count", "sum", "min", "max", "distinct", "first",
             "missing_from", "minutes", "length", "max_gap", "per", "words")


def _when(value: Any) -> dt.date | dt.datetime | None:
    return _when_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=1 << 14)  # the same dates recur across a record's values and a batch's records
def _when_text(value: str) -> dt.date | dt.datetime | None:
    try:
        return parse_when(value)
    except ValueError:
        return None


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_WORD = re.compile(r"[^\W_]+")


def text_words(text: str) -> int:
    """Words of a text: one per CJK character, one per run of other letters or digits."""
    return len(_CJK.findall(text)) + len(_WORD.findall(_CJK.sub(" ", text)))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def business_days(a: dt.date, b: dt.date, holidays: frozenset[dt.date] = frozenset(),
                  workdays: frozenset[dt.date] = frozenset()) -> int:
    """Weekdays after ``a`` up to and including ``b``, less ``holidays``, plus weekend ``workdays`` (negative if
    ``b`` is earlier)."""
    return BusinessCalendar(holidays, workdays).business_days(a, b)


def pack_calendar(params: dict[str, Any]) -> BusinessCalendar:
    """The bundled State Council calendar with the pack's ``holidays`` and ``makeup_workdays`` parameters."""
    return of_parameters(params)


def _list_items(dump: dict, path: str) -> tuple[list[Any], str] | None:
    """Split ``materials.source_type`` into the list at ``materials`` and the field ``source_type``."""
    splits = _SPLITS.get(path)
    if splits is None:
        parts = path.split(".")
        splits = _SPLITS[path] = tuple((".".join(parts[:i]), ".".join(parts[i:])) for i in range(1, len(parts) + 1))
    for head, rest in splits:
        value = get_path(dump, head)
        if isinstance(value, list):
            return value, rest
    return None


#: a derived value's path -> its (list part, field part) splits, shortest list part first (paths come from packs)
_SPLITS: dict[str, tuple[tuple[str, str], ...]] = {}


def compile_derived(name: str, text: str, applies_to: list[str], params: dict[str, Any]) -> Derived:
    """Parse and check one derived value; raise ExprError naming what is wrong."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExprError(error_codes.DERIVED_SYNTAX, f"cannot parse {text!r}: {exc.msg}") from None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ExprError(error_codes.DERIVED_SHAPE,
                        f"{text!r} must be one function call, e.g. days(occurred_on, declared_at)")
    func = node.func.id
    if func not in FUNCTIONS:
        raise ExprError(error_codes.DERIVED_FUNCTION, f"unknown function {func!r}", did_you_mean(func, FUNCTIONS))

    def path_of(arg: ast.expr) -> str:
        parts = []
        while isinstance(arg, ast.Attribute):
            parts.append(arg.attr)
            arg = arg.value
        if not isinstance(arg, ast.Name):
            raise ExprError(error_codes.DERIVED_ARGUMENT, f"{func}() takes field names, got {ast.unparse(arg)!r}")
        parts.append(arg.id)
        return ".".join(reversed(parts))

    paths = [path_of(a) for a in node.args]
    cat = catalog()
    for kind in applies_to:
        fields = cat[kind].fields
        for path in paths:
            if lookup(fields, path) is None and not _child_path_ok(kind, path):
                raise ExprError(error_codes.DERIVED_FIELD, f"{kind} has no field {path!r}", did_you_mean(path, fields))
    exclude: set[Any] = set()
    filters: dict[str, frozenset[Any]] = {}
    for kw in node.keywords:
        if kw.arg == "exclude" and func == "distinct":
            exclude = set(ast.literal_eval(kw.value))
        elif kw.arg is not None and func in _FILTERED and paths:
            filters[kw.arg] = _filter_values(func, kw.arg, kw.value)
            for kind in applies_to:
                if not _child_path_ok(kind, f"{_list_path(kind, paths[0])}.{kw.arg}"):
                    raise ExprError(error_codes.DERIVED_ARGUMENT, f"{func}(): the items of {paths[0]!r} have no field "
                                    f"{kw.arg!r}")
        else:
            raise ExprError(error_codes.DERIVED_ARGUMENT, f"{func}() takes no keyword {kw.arg!r}")
    calendar = pack_calendar(params) if func == "business_days" else BusinessCalendar()
    two = func in ("days", "hours", "business_days", "missing_from", "minutes", "per")
    if len(paths) != (2 if two else 1):
        raise ExprError(error_codes.DERIVED_ARGUMENT, f"{func}() takes {2 if two else 1} field(s)")
    ftype = FieldType("number")

    compute: Callable[..., float | int | None]
    if func == "per":
        value_path, count_path = paths

        def compute(dump: dict) -> float | int | None:
            value, count = get_path(dump, value_path), get_path(dump, count_path)
            if not _number(value):
                return None
            return round(value / count, 2) if _number(count) and count > 0 else value
    elif func == "missing_from":
        first_path, second_path = paths

        def compute(dump: dict) -> float | int | None:
            values, within = get_path(dump, first_path), get_path(dump, second_path)
            if values is None or within is None:
                return None
            if not isinstance(within, list):
                within = [within]
            wanted = values if isinstance(values, list) else [values]
            return sum(1 for v in wanted if v is not None and v not in within)
    elif two:
        first, second = paths

        def compute(dump: dict, calendar: BusinessCalendar = calendar) -> float | int | None:
            a, b = _when(get_path(dump, first)), _when(get_path(dump, second))
            if a is None or b is None:
                return None
            if func == "days":
                return (_date(b) - _date(a)).days
            if func == "business_days":
                return calendar.business_days(_date(a), _date(b))
            if not (isinstance(a, dt.datetime) and isinstance(b, dt.datetime)):
                return None
            if func == "minutes":
                return int((b - a).total_seconds() // 60)
            return round((b - a).total_seconds() / 3600, 4)
    elif func == "words":
        (text_path,) = paths

        def compute(dump: dict) -> float | int | None:
            text = get_path(dump, text_path)
            return text_words(text) if isinstance(text, str) else None
    elif func == "length":
        (text_path,) = paths

        def compute(dump: dict) -> float | int | None:
            value = get_path(dump, text_path)
            if isinstance(value, str):
                return len(value.strip())
            if isinstance(value, (dict, list)):  # a mapping's entries (a module's findings) or a list's items
                return sum(1 for v in (value.values() if isinstance(value, dict) else value) if v is not None)
            return None
    else:
        (path,) = paths
        if func in ("min", "max", "first") and _is_date(applies_to, path):
            ftype = FieldType("date")

        checks = tuple(filters.items())
        own_fields = all("." not in f for f, _allowed in checks)  # filters on the items' own fields: one lookup each
        one_field = checks[0] if len(checks) == 1 and own_fields else None
        two_fields = checks if len(checks) == 2 and own_fields else None

        def compute(dump: dict) -> float | int | None:
            found = _list_items(dump, path)
            if found is None:
                return None
            items, field = found
            if one_field is not None:  # the common filter: one field of the items themselves
                name, allowed = one_field
                items = [i for i in items if isinstance(i, dict) and i.get(name) in allowed]
            elif two_fields is not None:
                (first_name, first_allowed), (second_name, second_allowed) = two_fields
                items = [i for i in items if isinstance(i, dict) and i.get(first_name) in first_allowed
                         and i.get(second_name) in second_allowed]
            elif checks:
                items = [i for i in items if isinstance(i, dict)
                         and all(get_path(i, f) in allowed for f, allowed in checks)]
            if func == "count":
                return len(items)
            if not field:
                values = items
            elif "." in field:
                values = [get_path(i, field) for i in items]
            else:  # an item's own field: get_path's one lookup, inline
                values = [i.get(field) if isinstance(i, dict) else None for i in items]
            values = [v for v in values if v is not None and v not in exclude]
            if func == "distinct":
                return len(set(map(str, values)))
            if not values:
                return None
            if all(isinstance(v, str) and _when(v) for v in values):
                values = [day_number(v) for v in values]
            numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if not numbers:
                return None
            if func == "first":
                return numbers[0]
            if func == "max_gap":
                ordered = sorted(numbers)
                return max((b - a for a, b in zip(ordered, ordered[1:], strict=False)), default=None)
            if func == "sum":
                return sum(numbers)
            return min(numbers) if func == "min" else max(numbers)

    return Derived(name, tuple(applies_to), ftype, compute, calendar if func == "business_days" else None)


_FILTERED = ("count", "sum", "min", "max", "distinct", "first", "max_gap")


def _filter_values(func: str, name: str, node: ast.expr) -> frozenset[Any]:
    """The values an item filter ``name=…`` accepts: one literal or a list of literals."""
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ExprError(error_codes.DERIVED_ARGUMENT, f"{func}(): filter {name}= takes a value or a list of values, "
                        f"got {ast.unparse(node)!r}") from None
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
        raise ExprError(error_codes.DERIVED_ARGUMENT, f"{func}(): filter {name}= takes texts, numbers or yes/no values")
    return frozenset(values)


def _list_path(kind: str, path: str) -> str:
    """The list part of ``materials.figures.revenue_cny`` (``materials``), for checking filter fields."""
    for list_path in catalog()[kind].children:
        if path == list_path or path.startswith(list_path + "."):
            return list_path
    return path


def _child_path_ok(kind: str, path: str) -> bool:
    """``materials.source_type``: a list of objects on the record, then a field of its items."""
    schema = catalog()[kind]
    for list_path, (child_type, _model) in schema.children.items():
        if path == list_path:
            return True
        if path.startswith(list_path + "."):
            return lookup(catalog()[child_type].fields, path[len(list_path) + 1:]) is not None
    return False


def _is_date(kinds: list[str], path: str) -> bool:
    for kind in kinds:
        schema = catalog()[kind]
        for list_path, (child_type, _model) in schema.children.items():
            if path.startswith(list_path + "."):
                ftype = lookup(catalog()[child_type].fields, path[len(list_path) + 1:])
                return bool(ftype and ftype.kind in ("date", "datetime"))
    return False
