"""End-to-end tests: real image builds with a real Docker engine."""

from __future__ import annotations

import pytest

from dockopt.engine import App


def app_param(app: App) -> object:
    """``app`` as a test parameter; an app with a known failure runs as a strict xfail.

    Strict, so the suite goes red when the cause is fixed and the app's ``known_failure`` must go.
    """
    marks = [pytest.mark.xfail(reason=app.known_failure, strict=True)] if app.known_failure else []
    return pytest.param(app, id=app.name, marks=marks)
