"""Windows in an explanation: the key, the period, each record counted (id, date, value) and the total."""

from __future__ import annotations

import datetime as dt
from typing import Any

from conduct_engine.explain.model import CountedRecord, Threshold, WindowExplanation
from conduct_engine.explain.phrases import origin_text, value_text
from conduct_engine.history import HistoryIndex
from conduct_engine.network import Resolver
from conduct_engine.packs.model import Aggregate
from conduct_engine.paths import get_path
from conduct_engine.results import Text
from conduct_engine.window_plan import own_value


def _measure(agg: Aggregate) -> tuple[str, str]:
    if agg.latest:
        return "latest date", "最近日期"
    if agg.count:
        return "count", "笔数"
    if agg.count_distinct:
        return f"distinct {agg.count_distinct}", f"不同 {agg.count_distinct} 个数"
    return f"sum of {agg.sum}", f"{agg.sum} 合计"


def explain_window(name: str, agg: Aggregate, history: HistoryIndex, kind: str, dump: dict, own_date: dt.date,
                   total: Any, limits: list[Threshold], network: Resolver | None = None) -> WindowExplanation:
    """One window of one record, from the same rows the engine's aggregate was summed from."""
    key = {hist_field: get_path(dump, rec_field) for hist_field, rec_field in agg.match.items()}
    rows = history.window_rows(name, agg, kind, dump, own_date, network) or []
    counted = [CountedRecord(id=rid, date=dt.date.fromordinal(day).isoformat(), value=value)
               for day, value, rid in rows]
    if agg.latest:
        counted = [c for c in counted if c.date <= own_date.isoformat()]
    else:
        own = own_value(agg, kind, dump)
        if own is not None:
            counted.append(CountedRecord(id=str(dump.get("id")), date=own_date.isoformat(), value=own,
                                         this_record=True))
    counted.sort(key=lambda c: (c.date, c.id))
    start = own_date - dt.timedelta(days=agg.within_days - 1)
    end = own_date + dt.timedelta(days=agg.after_days)
    period = {"from": start.isoformat(), "to": end.isoformat()}
    en_measure, zh_measure = _measure(agg)
    keys = ", ".join(f"{k}={value_text(v)}" for k, v in key.items())
    listed_en = "; ".join(f"{c.id} {c.date} {value_text(c.value)}" + (" (this record)" if c.this_record else "")
                          for c in counted) or "none"
    listed_zh = "；".join(f"{c.id} {c.date} {value_text(c.value)}" + ("（本记录）" if c.this_record else "")
                          for c in counted) or "无"
    shown_total = value_text(total) if total is not None else "∅"
    against_en = "".join(f" against {t.name} {value_text(t.value)} {origin_text(t.origin, 'en')}" for t in limits)
    against_zh = "".join(f"，对比 {t.name} {value_text(t.value)}{origin_text(t.origin, 'zh')}" for t in limits)
    says = Text(
        en=f"window {name} ({en_measure} of {agg.over} records, key {keys}, {period['from']} to {period['to']}): "
           f"{len(counted)} counted: {listed_en}; total {shown_total}{against_en}",
        zh=f"窗口 {name}（{agg.over} 记录{zh_measure}，键 {keys}，{period['from']} 至 {period['to']}）："
           f"计入 {len(counted)} 笔：{listed_zh}；合计 {shown_total}{against_zh}")
    return WindowExplanation(name=name, description=agg.description, over=agg.over, measure=en_measure, key=key,
                             period=period, records=counted, total=total, limits=limits, says=says)
