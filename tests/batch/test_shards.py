"""--shard K/N splits the fleet the same way everywhere; merge joins the shards into one run's report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dockopt.batch.shard import Shard, ShardError, parse, shard_of
from tests.batch.conftest import Fleet, run_batch


def test_shards_cover_the_fleet_once_and_merge_gives_one_runs_totals(fleet_template: Fleet, tmp_path: Path) -> None:
    root = fleet_template.root
    whole = run_batch(".", "--jobs", "2", cwd=root, report=tmp_path / "whole.json")
    shards = [run_batch(".", "--shard", f"{k}/3", cwd=root, report=tmp_path / f"shard-{k}.json") for k in (1, 2, 3)]
    sets = [{r["repository"] for r in s.report["repositories"]} for s in shards]  # type: ignore[index]
    assert all(sets)
    assert set().union(*sets) == set(fleet_template.ids)
    assert sum(len(s) for s in sets) == len(fleet_template.ids)  # no repository in two shards
    assert [s.report["run"]["shard"] for s in shards] == ["1/3", "2/3", "3/3"]  # type: ignore[index]

    merged = run_batch("merge", *(str(tmp_path / f"shard-{k}.json") for k in (3, 1, 2)), cwd=root,
                       report=tmp_path / "merged.json")  # fmt: skip
    assert merged.report is not None and whole.report is not None
    assert merged.report["totals"] == whole.report["totals"]
    assert merged.report["files"] == whole.report["files"]
    assert merged.report["repositories"] == whole.report["repositories"]
    assert merged.exit_code == whole.exit_code == 1  # the syntax error is in the merged report too
    assert "special/syntax-error/broken/Dockerfile:2:1" in merged.stderr


def test_merge_prints_to_stdout_and_writes_markdown(fleet_template: Fleet, tmp_path: Path) -> None:
    run_batch("naive", "--shard", "1/2", cwd=fleet_template.root, report=tmp_path / "a.json")
    run_batch("naive", "--shard", "2/2", cwd=fleet_template.root, report=tmp_path / "b.json")
    out = run_batch("merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--markdown", str(tmp_path / "m.md"),
                    cwd=fleet_template.root)  # fmt: skip
    assert out.exit_code == 0
    document = json.loads(out.stdout)
    assert document["totals"]["repositories"] == len([i for i in fleet_template.ids if i.startswith("naive/")])
    assert (tmp_path / "m.md").read_text().startswith("# dockopt batch: ")


def test_merge_refuses_reports_that_disagree(fleet_template: Fleet, tmp_path: Path) -> None:
    root = fleet_template.root
    run_batch("naive", "--shard", "1/2", cwd=root, report=tmp_path / "a.json")
    data = json.loads((tmp_path / "a.json").read_text())
    data["files"][0]["outcome"] = "unchanged"
    (tmp_path / "edited.json").write_text(json.dumps(data))
    clash = run_batch("merge", str(tmp_path / "a.json"), str(tmp_path / "edited.json"), cwd=root)
    assert clash.exit_code == 2 and "with different records" in clash.stderr
    same = run_batch("merge", str(tmp_path / "a.json"), str(tmp_path / "a.json"), cwd=root)
    assert same.exit_code == 0  # the same shard twice joins to itself
    data["run"]["mode"] = "write"
    (tmp_path / "write.json").write_text(json.dumps(data))
    mixed = run_batch("merge", str(tmp_path / "a.json"), str(tmp_path / "write.json"), cwd=root)
    assert mixed.exit_code == 2 and "different kinds of run" in mixed.stderr
    (tmp_path / "junk.json").write_text("{}")
    junk = run_batch("merge", str(tmp_path / "junk.json"), cwd=root)
    assert junk.exit_code == 2 and "not a dockopt batch report" in junk.stderr


def test_job_completion_index_picks_the_shard(fleet_template: Fleet, tmp_path: Path) -> None:
    root = fleet_template.root
    by_flag = run_batch("naive", "--shard", "2/3", cwd=root, report=tmp_path / "flag.json")
    by_env = run_batch("naive", "--shard", "auto/3", cwd=root, report=tmp_path / "env.json",
                       env={"JOB_COMPLETION_INDEX": "1"})  # fmt: skip
    assert by_env.report is not None and by_flag.report is not None
    assert by_env.report["repositories"] == by_flag.report["repositories"]
    assert by_env.report["run"]["shard"] == "2/3"


def test_the_split_is_the_same_on_every_machine() -> None:
    # Fixed answers (SHA-256 of the identifier): Python's salted hash() would move repositories between shards.
    ids = ("naive/flask-gunicorn", "team-a/billing", "special/dirty", "x")
    assert [shard_of(i, 8) for i in ids] == [7, 3, 3, 5]
    code = "from dockopt.batch.shard import shard_of; print([shard_of(f'repo-{n}', 7) for n in range(50)])"
    outputs = set()
    for seed in ("1", "2", "random"):
        proc = subprocess.run(
            [sys.executable, "-c", code], env={"PYTHONHASHSEED": seed}, capture_output=True, text=True
        )
        outputs.add(proc.stdout)
        assert proc.returncode == 0, proc.stderr
    assert len(outputs) == 1


def test_shards_are_balanced_enough() -> None:
    counts = [0] * 10
    for n in range(2000):
        counts[shard_of(f"org/service-{n}", 10) - 1] += 1
    assert min(counts) > 150 and max(counts) < 250


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("3", {}, "takes K/N"),
        ("0/3", {}, "use --shard auto/3"),
        ("4/3", {}, "between 1 and 3"),
        ("1/0", {}, "at least 1"),
        ("a/3", {}, "K is not a whole number"),
        ("auto/3", {}, "JOB_COMPLETION_INDEX, which is not set"),
        ("auto/3", {"JOB_COMPLETION_INDEX": "3"}, "outside 0..2"),
    ],
)
def test_bad_shards_are_refused(text: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ShardError, match=message.replace(".", r"\.")):
        parse(text, env)


def test_good_shards() -> None:
    assert parse("2/5", {}) == Shard(2, 5)
    assert parse("auto/5", {"JOB_COMPLETION_INDEX": "0"}) == Shard(1, 5)
    assert str(Shard(1, 1)) == "1/1" and Shard(1, 1).holds("anything")
