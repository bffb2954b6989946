"""dockopt verify against real builds: the psycopg2 example app, planted breaks, a failing original.

Few and small on purpose (the suite runs on 2 cores): the good rewrite is
verified once through the CLI, cold, with the rebuild figure; the planted
breaks reuse the build cache (``cold=False``), which can answer for no check:
every check reads the built images themselves.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import cli
from dockopt.engine import Engine
from dockopt.verify import verify_texts
from tests.conftest import FIXTURES, read_exact

pytestmark = pytest.mark.docker

APP = FIXTURES / "apps" / "psycopg2-source"
REFERENCE = read_exact(APP / "reference.Dockerfile")


def without_libpq5(text: str) -> str:
    """The reference rewrite with its runtime stage's libpq5 install planted away."""
    runtime = text.index("FROM python:3.12-slim")
    head, tail = text[:runtime], text[runtime:]
    broken = tail.replace("apt-get install -y --no-install-recommends libpq5 \\\n    && ", "")
    assert broken != tail and "libpq5" not in broken
    return head + broken


def test_good_rewrite_is_equivalent(engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["verify", str(APP / "Dockerfile"), "--smoke", "python app.py", "--format", "json"])
    assert result.exit_code == 0, result.output
    v = json.loads(result.stdout)["verification"]
    checks = {c["name"]: c for c in v["checks"]}
    assert all(checks[n]["ok"] is True for n in ("builds", "distributions", "imports", "config", "entrypoint", "files", "smoke")), checks
    assert "1 modules import in both" in checks["imports"]["detail"]
    assert v["before"]["cold"] is True and v["after"]["size_bytes"] < v["before"]["size_bytes"]
    assert v["dependency_layer_reused"] is True, v["notes"]


def test_runtime_stage_without_libpq5_fails_naming_psycopg2(engine: Engine) -> None:
    v = verify_texts(read_exact(APP / "Dockerfile"), without_libpq5(REFERENCE), APP, engine=engine, cold=False, measure_rebuild=False)
    assert v.exit_code == 1, v
    imports = v.check("imports")
    assert imports is not None and imports.ok is False
    assert imports.differences[0].startswith("psycopg2: imports in the original, fails in the rewrite: ImportError: libpq.so.5")
    assert {c.name for c in v.checks if c.ok is False} == {"imports"}


def test_dropped_env_and_changed_cmd_fail_naming_the_key(engine: Engine) -> None:
    original = read_exact(APP / "Dockerfile").replace("CMD [", "ENV APP_MODE=production\nCMD [")
    with_env = REFERENCE.replace("CMD [", "ENV APP_MODE=production\nCMD [")
    # Negative control: the same ENV on both sides is equivalent.
    same = verify_texts(original, with_env, APP, engine=engine, cold=False, measure_rebuild=False)
    assert same.exit_code == 0, same.differences
    dropped = verify_texts(original, REFERENCE, APP, engine=engine, cold=False, measure_rebuild=False)
    assert dropped.exit_code == 1
    assert [d for d in dropped.differences if d.startswith("config: Env APP_MODE:")], dropped.differences
    new_cmd = with_env.replace('CMD ["python", "app.py"]', 'CMD ["python", "-c", "import app"]')
    assert new_cmd != with_env
    changed = verify_texts(original, new_cmd, APP, engine=engine, cold=False, measure_rebuild=False)
    assert changed.exit_code == 1
    assert [d for d in changed.differences if d.startswith("config: Cmd:")], changed.differences


def test_failing_original_cannot_be_verified(engine: Engine, tmp_path: Path) -> None:
    marker = f"dockopt-planted-failure-{uuid.uuid4().hex[:8]}"
    (tmp_path / "before.Dockerfile").write_text(f"FROM python:3.12-slim\nRUN echo {marker} && exit 3\n")
    (tmp_path / "after.Dockerfile").write_text("FROM python:3.12-slim\n")
    result = CliRunner().invoke(
        cli, ["verify", "--before", str(tmp_path / "before.Dockerfile"), "--after", str(tmp_path / "after.Dockerfile")]
    )
    assert result.exit_code == 2, result.output
    assert "cannot verify: the original does not build" in result.output
    assert marker in result.output  # the build's last lines


def test_no_python_and_a_script_entrypoint(engine: Engine, tmp_path: Path) -> None:
    """An image without python is checked for what can be checked; a script
    whose interpreter is gone in the rewrite is caught by the entrypoint check."""
    template = (
        "FROM python:3.12-slim\n"
        "RUN rm -f /usr/local/bin/python*\n"
        "WORKDIR /srv\n"
        "RUN printf '#!{shell}\\necho hello\\n' > /usr/local/bin/start && chmod +x /usr/local/bin/start\n"
        'ENTRYPOINT ["start"]\n'
    )
    good = template.format(shell="/bin/sh")
    same = verify_texts(good, good, tmp_path, engine=engine, cold=False, measure_rebuild=False, smoke=[])
    dists = same.check("distributions")
    assert dists is not None and dists.ok is None and dists.detail == "cannot check distributions: no python in the image"
    entry = same.check("entrypoint")
    assert entry is not None and entry.ok is True and "/bin/sh" in entry.detail
    assert same.exit_code == 0
    broken = verify_texts(good, template.format(shell="/bin/no-such-shell"), tmp_path, engine=engine, cold=False, measure_rebuild=False)
    entry = broken.check("entrypoint")
    assert entry is not None and entry.ok is False and "/bin/sh" in entry.differences[0], entry
