"""Extension points of the result pages, for the follow-ups (explanations, cases) to plug into without editing
the pages: a *result panel* adds a section under a decision's findings; a *row link* adds links to a decision's
row in "My declarations" (e.g. its case)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PanelInput:
    """What a panel gets: the logged result (JSON-ready), the log entry (None without a store), the record when
    the page has it (right after a declaration; None on a later visit), the signed-in user and the app's parts."""

    result: dict[str, Any]
    entry: Any | None
    record: dict[str, Any] | None
    user: Any
    deps: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultPanel:
    """A section of the decision page: ``template`` (under ``templates/``) rendered with the dict ``build``
    returns as ``ctx`` (None: the panel is not shown), for the given roles. The template starts with an ``h2``
    whose id is ``panel-<key>-h`` (it labels the panel's section)."""

    key: str
    template: str
    build: Callable[[PanelInput], dict[str, Any] | None]
    roles: frozenset[str] = frozenset({"submitter", "reviewer", "auditor", "admin"})


@dataclass(frozen=True)
class RowLink:
    """A link shown on a decision's row: the console text key of its label, and where it goes."""

    label: str
    href: str


RESULT_PANELS: list[ResultPanel] = []
#: ``provider(entries, user, deps)``: ``deps`` holds the app's parts (``store``: the Store or None)
RowLinkProvider = Callable[[list[Any], Any, dict[str, Any]], dict[str, list[RowLink]]]
ROW_LINKS: list[RowLinkProvider] = []


def add_result_panel(panel: ResultPanel) -> None:
    """Add a section to every decision page (the explanation panel: :mod:`api.console.explanation`)."""
    RESULT_PANELS.append(panel)


def add_row_links(provider: RowLinkProvider) -> None:
    """Add links to rows of "My declarations": ``provider(entries, user, deps)`` -> decision id -> links (cases)."""
    ROW_LINKS.append(provider)


def panels_for(data: PanelInput) -> list[tuple[ResultPanel, dict[str, Any]]]:
    """The panels to show on one decision page, each with its template context."""
    out = []
    for panel in RESULT_PANELS:
        if data.user.role != "admin" and data.user.role not in panel.roles:
            continue
        context = panel.build(data)
        if context is not None:
            out.append((panel, context))
    return out


def row_links(entries: list[Any], user: Any, deps: dict[str, Any] | None = None) -> dict[str, list[RowLink]]:
    """Every provider's links for these rows, by decision id."""
    out: dict[str, list[RowLink]] = {}
    for provider in ROW_LINKS:
        for decision_id, links in provider(entries, user, deps or {}).items():
            out.setdefault(decision_id, []).extend(links)
    return out
