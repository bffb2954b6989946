"""Every example app: the rewritten Dockerfile builds, runs the same, is smaller, and caches its install.

This is the product's claim tested with a real engine: for each app under
fixtures/apps, build the naive Dockerfile and dockopt's rewrite, run the app's
smoke check in both (same output, the expected one), compare sizes, and after
a code-only change check that the rewrite's dependency install is served from
the build cache.

The cache check has a negative control: the naive Dockerfile, which copies the
code before installing, must re-run its install after the same kind of edit.
Each edit is a line no build has seen before (``measure.code_edit``), so an
earlier run's build cache cannot answer for either side.
"""

from __future__ import annotations

import pytest

import dockopt
from dockopt.engine import App, Engine, load_apps
from dockopt.measure import build_and_measure
from tests.conftest import FIXTURES, read_exact
from tests.e2e import app_param

APPS = load_apps(FIXTURES / "apps")

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("app", [app_param(a) for a in APPS])
def test_rewrite_builds_runs_same_and_is_smaller(engine: Engine, app: App) -> None:
    original = read_exact(app.dockerfile)
    result = dockopt.rewrite(original, context_dir=app.dir)
    assert not [s for s in result.skips if s.guard], result.skips
    if app.rewrite == "unchanged":
        assert not result.changed, result.text
        return
    if app.rewrite == "smaller":
        assert result.changed, f"dockopt found nothing to do; skips: {result.skips}"

    before = build_and_measure(
        engine, f"{app.name}-before", original, app.dir, smoke=app.smoke, edit_file=app.edit_file, cold=False
    )
    after = build_and_measure(
        engine, f"{app.name}-after", result.text, app.dir, smoke=app.smoke, edit_file=app.edit_file, cold=False
    )

    assert before.smoke is not None and after.smoke is not None
    assert app.smoke.matches(before.smoke), f"the original image fails its smoke check: {before.smoke}"
    assert app.smoke.matches(after.smoke), f"the rewritten image fails its smoke check: {after.smoke}\n{result.text}"
    if app.rewrite == "smaller":
        assert after.size_bytes < before.size_bytes, (before.size_bytes, after.size_bytes)
    else:
        assert after.size_bytes <= before.size_bytes, (before.size_bytes, after.size_bytes)
    if app.naive_reinstalls:
        # Negative control: the naive file copies the code first, so the same kind of edit re-runs its install.
        assert before.install_cached_on_rebuild is False, (
            "the cache check cannot fail: the naive install came from cache"
        )
    assert after.install_cached_on_rebuild is True, "a code-only change re-ran the dependency install"


@pytest.mark.parametrize("app", [app_param(a) for a in APPS if a.rewrite == "smaller"])
def test_rewrite_with_the_uv_installer_builds_and_runs_the_same(engine: Engine, app: App) -> None:
    """--installer uv: the same apps, the builder on uv; same smoke output, the install still cached."""
    original = read_exact(app.dockerfile)
    with_pip = dockopt.rewrite(original, context_dir=app.dir)
    with_uv = dockopt.rewrite(original, context_dir=app.dir, installer="uv")
    if with_uv.text == with_pip.text:
        pytest.skip("the uv installer changes nothing here (no pip install into a copied virtualenv)")
    assert not [s for s in with_uv.skips if s.guard], with_uv.skips
    after = build_and_measure(
        engine, f"{app.name}-uv", with_uv.text, app.dir, smoke=app.smoke, edit_file=app.edit_file, cold=False
    )
    assert after.smoke is not None
    assert app.smoke.matches(after.smoke), f"the uv-built image fails its smoke check: {after.smoke}\n{with_uv.text}"
    assert after.install_cached_on_rebuild is True, "a code-only change re-ran the dependency install"
