"""DO002 multi-stage, a package of one module per phase (see :mod:`.rule` for the order)."""

from .apt_plan import AptSplit, split_apt_packages
from .classify import classify_run
from .job import USER_BASE, VENV_DIR
from .rule import RULE, apply

__all__ = ["RULE", "USER_BASE", "VENV_DIR", "AptSplit", "apply", "classify_run", "split_apt_packages"]
