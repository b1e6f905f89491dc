"""What the case pages share: the signed-in user as a case :class:`Actor` (with the employee its key names, for
four eyes), one action applied through the store and :mod:`conduct_engine.cases.lifecycle` (the same calls the
JSON API makes), and a refused action turned into what the page shows in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.console import i18n
from api.console.session import ConsoleError, ConsoleUser
from conduct_engine import error_codes
from conduct_engine.cases.lifecycle import Actor, CaseError, act_as
from conduct_engine.store import Case, CaseNotFound, Change, Store

i18n.add({
    "case.err.own_case": ("四眼原则：您是此案件的当事人（或提交了该记录），不能处理此案件。",
                          "Four eyes: you are the subject of this case (or submitted its record), so you may not "
                          "work it."),
    "case.err.four_eyes": ("四眼原则：此结案由您提出，须由另一位审核员批准。",
                           "Four eyes: you proposed this close; a second reviewer approves it."),
    "case.err.not_case_subject": ("只有案件当事人可以确认已阅。", "Only the case's subject acknowledges it."),
    "case.err.forbidden": ("您的角色不能处理案件。", "Your role may not work cases."),
    "case.err.conflict": ("案件当前状态为“{status}”，不能{action}。", "The case is {status}: it cannot be {action} now."),
    "case.err.not_all_false": ("以“不成立”结案前，须先将每个问题标记为误报。",
                               "Before closing as not substantiated, mark every finding a false positive."),
    "case.err.already_ack": ("您已确认过此案件。", "You have already acknowledged this case."),
    "case.err.need_action": ("问题成立时须选择处理措施。", "A substantiated case needs an action."),
    "case.err.need_expiry": ("豁免须填写到期日。", "A waiver needs an expiry date."),
    "case.err.bad_expiry": ("豁免到期日须晚于今天。", "The waiver must expire after today."),
    "case.err.bad_date": ("日期格式应为 YYYY-MM-DD", "The date must be YYYY-MM-DD."),
    "case.err.need_reason": ("请填写理由。", "Give a reason."),
    "case.err.need_text": ("请填写评论内容。", "Write the comment."),
    "case.err.too_long": ("内容过长。", "The text is too long."),
    "case.err.need_disposition": ("请选择结案结论。", "Choose a disposition."),
    "case.err.no_verdict": ("请至少为一个问题选择结论。", "Choose a verdict for at least one finding."),
    "case.err.unknown_rule": ("此案件没有该规则的问题。", "This case has no finding of that rule."),
    "case.err.no_reviewer": ("没有名为 {name} 的有效审核员密钥。", "There is no active reviewer key named {name}."),
})

#: the verb of each action, as the conflict message says it (a console text key)
VERBS = ("assign", "comment", "verdicts", "close", "approve", "reopen", "acknowledge")
i18n.add({f"case.verb.{v}": p for v, p in {
    "assign": ("分派", "assigned"), "comment": ("评论", "commented on"), "verdicts": ("标记结论", "given verdicts"),
    "close": ("结案", "closed"), "approve": ("批准", "approved"), "reopen": ("重新打开", "reopened"),
    "acknowledge": ("确认已阅", "acknowledged")}.items()})


@dataclass(frozen=True)
class Refusal:
    """A refused action shown on the case page: the HTTP status and the console text (with its values)."""

    status: int
    text: str
    values: dict[str, str]
    field: str | None = None


class Refused(Exception):
    """An action the case page answers with the page itself and a message (409, 422)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.text)
        self.refusal = refusal


def actor_of(user: ConsoleUser, store: Store) -> Actor:
    """The user as a case actor: key name, role, id and the employee its key names."""
    key = next((k for k in store.keys.active_named(user.name) if k.id == user.key_id), None)
    return Actor(user.name, user.role, user.key_id, key.employee_id if key else None)


def visible(store: Store, case_id: str, user: ConsoleUser) -> tuple[Case, Actor]:
    """The case if this user may read it (a 404 page otherwise), and the user as its actor."""
    case = store.cases.get(case_id)
    actor = actor_of(user, store)
    if case is None or not actor.can_see(case):
        raise ConsoleError(404, "error.404", user)
    return case, actor


def act(store: Store, case_id: str, user: ConsoleUser, verb: str,
        action: Callable[[Case, Actor], Change]) -> Case:
    """Apply one lifecycle action; a 403 is the error page, a 409 or 422 a :class:`Refused` for the case page."""
    try:
        return act_as(store.cases, case_id, actor_of(user, store), action)
    except CaseNotFound:
        raise ConsoleError(404, "error.404", user) from None
    except CaseError as exc:
        raise _shown(exc, user, store.cases.get(case_id), verb) from None


def _shown(exc: CaseError, user: ConsoleUser, case: Case | None, verb: str) -> Exception:
    if exc.status == 404 or case is None:
        return ConsoleError(404, "error.404", user)
    if exc.status == 403:
        known = exc.code in (error_codes.OWN_CASE, error_codes.FOUR_EYES, error_codes.NOT_CASE_SUBJECT)
        return ConsoleError(403, f"case.err.{exc.code if known else 'forbidden'}", user)
    if exc.status == 409:
        if verb == "acknowledge":
            return Refused(Refusal(409, "case.err.already_ack", {}))
        if verb == "close" and case.status == "in_review":
            return Refused(Refusal(409, "case.err.not_all_false", {}, "disposition"))
        return Refused(Refusal(409, "case.err.conflict", {"status": f"case.status.{case.status}",
                                                          "action": f"case.verb.{verb}"}))
    loc = exc.loc or ""
    if loc == "action":
        return Refused(Refusal(422, "case.err.need_action", {}, "action"))
    if loc == "waiver_expires":
        text = "case.err.need_expiry" if exc.code == error_codes.MISSING else "case.err.bad_expiry"
        return Refused(Refusal(422, text, {}, "waiver_expires"))
    if loc.startswith("verdicts"):
        return Refused(Refusal(422, "case.err.unknown_rule", {}, "verdicts"))
    return Refused(Refusal(422, "case.err.conflict", {"status": f"case.status.{case.status}",
                                                      "action": f"case.verb.{verb}"}))
