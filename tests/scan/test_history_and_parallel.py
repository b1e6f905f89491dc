"""A scan equals a one-by-one run (each record against all the others as history), and 1-worker,
2-worker and Dask runs give byte-identical JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from conduct_engine.engine import Engine
from conduct_engine.scan.job import run_scan
from conduct_engine.scan.worker import decision_id

from .conftest import AS_OF, RULES, make_gifts, write_jsonl

DAY = dt.date.fromisoformat(AS_OF)


def _scan_results(path, tmp_path, **kw):
    run = run_scan([str(path)], as_of=DAY, store=tmp_path / f"{kw.get('workers', 1)}.ckpt", **kw)
    try:
        return run, [result for result, _ in run.checkpoint.results()]
    finally:
        run.checkpoint.close(remove=True)


def test_scan_equals_one_by_one_with_all_other_records_as_history(tmp_path):
    rules = shutil.copytree(RULES, tmp_path / "rules")  # one snapshot of the rules for both sides
    engine = Engine.from_paths(rules)
    records = make_gifts(250)
    path = write_jsonl(tmp_path / "g.jsonl", records)
    run, results = _scan_results(path, tmp_path, workers=1, rules_dir=str(rules))
    assert len(results) == len(records)
    fired = set()
    for i, (record, scanned) in enumerate(zip(records, results, strict=True)):
        others = records[:i] + records[i + 1:]
        alone = engine.evaluate(record, history=others, as_of=AS_OF).model_dump(mode="json")
        assert scanned["record_id"] == record["id"]
        assert {**scanned, "decision_id": ""} == {**alone, "decision_id": ""}, record["id"]
        assert scanned["decision_id"] == decision_id(run.plan.scan_id, f"{i}:gift:{record['id']}")
        fired |= {v["rule_id"] for v in scanned["violations"]}
    assert "BRB-GIFT-AGG-365D" in fired  # the batch really is history: window sums fired


def _jsonl(tmp_path, path, name, **kw) -> bytes:
    from conduct_engine.reports import write_report
    run = run_scan([str(path)], as_of=DAY, store=tmp_path / f"{name}.ckpt", rules_dir=str(RULES), **kw)
    out = tmp_path / f"{name}.jsonl"
    write_report("jsonl", run.checkpoint.results(), run.summary, out)
    run.checkpoint.close(remove=True)
    return out.read_bytes()


@pytest.mark.slow
def test_one_two_workers_and_dask_give_identical_jsonl(tmp_path, gifts_file):
    from distributed import LocalCluster
    one = _jsonl(tmp_path, gifts_file, "one", workers=1)
    two = _jsonl(tmp_path, gifts_file, "two", workers=2)
    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        on_dask = _jsonl(tmp_path, gifts_file, "dask", cluster=cluster.scheduler_address)
    assert one == two == on_dask  # already in record order: identical without sorting
    assert sorted(one.splitlines()) == sorted(on_dask.splitlines())
    lines = one.splitlines()
    assert len(lines) == 601 and json.loads(lines[-1])["summary"]["records"] == 600
    assert len({json.loads(line)["decision_id"] for line in lines[:-1]}) == 600


def test_partitioned_scan_equals_the_prepared_scan_with_invalid_rows_and_requires_history(tmp_path):
    """Regression (merge of issue 12 into issue 13): a partitioned scan numbers records among the *valid* ones,
    reports the same problems, and decides "history available" (requires_history) on the whole batch, as the
    unpartitioned ``prepare`` path does — one gift per employee lands each gift alone in its partition."""
    from conduct_engine.packs.loader import load_packs
    from conduct_engine.scan.prepare import prepare
    from conduct_engine.scan.worker import FixedAggregates

    from .conftest import ROOT
    live = ROOT / "rules"
    gifts = make_gifts(6, employees=6)
    for i, gift in enumerate(gifts):  # undeclared gifts seen in expenses: silent without any history at all
        gift.update(employee_id=f"E-{i:03d}", source="expense", direction="received", form="goods", value_cny=300)
        gift.pop("declared_at", None)
    rows = [gifts[0], {"id": "BAD-1", "kind": "gift", "value_cny": "many"}, *gifts[1:4],
            {"id": "BAD-2", "kind": "gift"}, *gifts[4:]]
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)
    run = run_scan([str(path)], as_of=DAY, store=tmp_path / "p.ckpt", rules_dir=str(live), workers=1)
    try:
        scanned = [result for result, _ in run.checkpoint.results()]
        problems = [(p.row, p.column, p.reason) for p in run.plan.problems]
        assert run.summary["records"] == len(gifts)
    finally:
        run.checkpoint.close(remove=True)
    packs = load_packs(live)
    plan = prepare([str(path)], packs=packs, as_of=DAY)
    engine = Engine(packs)
    expected = {}
    for item in plan.items:
        result = engine.evaluate(item.model, history=FixedAggregates(item.aggregates), as_of=DAY)
        result.decision_id = decision_id(plan.scan_id, item.key)
        expected[item.seq] = result.model_dump(mode="json")
    assert plan.scan_id == run.plan.scan_id
    assert problems == [(p.row, p.column, p.reason) for p in plan.problems] and len(problems) >= 2
    assert scanned == [expected[seq] for seq in sorted(expected)]
    assert {v["rule_id"] for r in scanned for v in r["violations"]} >= {"HON-UNDECLARED-GIFT"}


def test_rows_validated_on_two_workers_in_small_chunks_equal_a_serial_pass(tmp_path, monkeypatch):
    """Stage 1 of a partitioned scan runs on the workers (``routing.py``): with chunks of two rows sent to two
    workers, the records' positions (decision ids), the problems in row order — a line that is not JSON, one
    that is not an object, invalid records, and the file failing on an overlong last line — and the results
    equal one worker's and the serial ``prepare`` pass's; the summary the workers fold equals the one read back
    from the results."""
    from conduct_engine.packs.loader import load_packs
    from conduct_engine.reports.summary import summarise
    from conduct_engine.scan import parallel, routing
    from conduct_engine.scan.prepare import prepare

    gifts = make_gifts(9, employees=3)
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(gifts[0]), "{not json", json.dumps(gifts[1]), json.dumps([1, 2]),
             json.dumps({"id": "BAD-1", "kind": "gift", "value_cny": "many"}), *map(json.dumps, gifts[2:7]),
             "", json.dumps({"id": "BAD-2", "kind": "gift"}), *map(json.dumps, gifts[7:]), "x" * 5000]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("CONDUCT_MAX_ROW_CHARS", "4000")

    def scan(workers: int):
        run = run_scan([str(path)], as_of=DAY, store=tmp_path / f"c{workers}.ckpt", rules_dir=str(RULES),
                       workers=workers)
        try:
            folded = summarise(run.plan.header(), run.checkpoint.results(), run.plan.problems,
                               load_packs(RULES).standards)
            assert run.summary == folded  # the workers' folded counts equal the summary read back from the results
            assert run.summary["findings"] > 0 and run.summary["rules"]
            return ([result for result, _ in run.checkpoint.results()], run.plan.problems, run.summary)
        finally:
            run.checkpoint.close(remove=True)

    one = scan(1)
    monkeypatch.setattr(routing, "CHUNK_ROWS", 2)
    monkeypatch.setattr(parallel, "PARTITION_BYTES", 100)  # ~60 partitions of about 100 bytes of input each
    assert parallel.partition_count([path], 2) == -(-path.stat().st_size // 100) > 16
    two = scan(2)
    assert two == one
    results, problems, summary = two
    assert [r["record_id"] for r in results] == [g["id"] for g in gifts]
    plan = prepare([str(path)], packs=load_packs(RULES), as_of=DAY)
    assert [(p.row, p.column, p.reason) for p in problems] == [(p.row, p.column, p.reason) for p in plan.problems]
    assert [p.row for p in problems][:2] == [2, 4] and problems[-1].row == len(lines)
    assert "4,000" in problems[-1].reason and summary["records"] == 9 and summary["rows"] == plan.rows
