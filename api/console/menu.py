"""The console's menu: each page module adds its entry (path, label, the roles that may open it) and checks the
same roles on the server with :func:`api.console.session.page_user`; the menu shows a role only its entries."""

from __future__ import annotations

from dataclasses import dataclass

#: every role of the console (``conduct_engine.store.keys.ROLES``); admin opens every page
ALL_ROLES = frozenset({"submitter", "reviewer", "auditor", "admin"})


@dataclass(frozen=True)
class MenuEntry:
    """One menu item: ``key`` (its label is the console text ``menu.<key>``), ``path``, who sees it, where."""

    key: str
    path: str
    roles: frozenset[str]
    order: int

    def allows(self, role: str) -> bool:
        """Whether ``role`` may open the page (admin may open them all)."""
        return role == "admin" or role in self.roles


MENU: list[MenuEntry] = []


def add(key: str, path: str, roles: frozenset[str] | set[str], order: int) -> MenuEntry:
    """Register a page's menu entry (a follow-up page — cases, explanations — adds its own here)."""
    entry = MenuEntry(key, path, frozenset(roles) | {"admin"}, order)
    if any(e.key == key for e in MENU):
        raise ValueError(f"menu entry {key!r} added twice")
    MENU.append(entry)
    MENU.sort(key=lambda e: (e.order, e.key))
    return entry


def for_role(role: str) -> list[MenuEntry]:
    """The entries ``role`` may open, in menu order."""
    return [e for e in MENU if e.allows(role)]
