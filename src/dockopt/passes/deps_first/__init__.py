"""DO001 deps-first: copy the dependency manifests and install before copying the code.

``COPY . .`` followed by ``RUN pip install -r requirements.txt`` makes every
code edit invalidate the install layer. Copying first only the files the
install reads and the rest after the install keeps that layer cached until
the dependencies change; the image ends up with the same files.

The rule is a package of small modules, one job each, run in this order:

* :mod:`.copies`: which COPYs bring the code (the whole context, or parts of
  the project such as ``COPY src/ src/``) and where they write;
* :mod:`.scan`: how far down they can move; each RUN on the way is
  classified by :mod:`.steps` (its commands) and :mod:`.installs` (its
  package-manager calls: :mod:`.pip`, :mod:`.pip_project`,
  :mod:`.local_lines`, :mod:`.tools`), which return what they read and write
  (:mod:`.site`), and whether they install the project itself;
* :mod:`.split`: an install that also installs the project, in two halves
  around the code (``--no-root``, pyproject's dependencies first for
  ``pip install .``, a requirements file without its ``-e .`` line);
* :mod:`.manifests`: which files to copy first, read in the build context;
* :mod:`.plan`: the phases put together, with the checks and the message;
* :mod:`.rewrite`: the result written into the tree;
* :mod:`.rule`: the rule page and ``apply``;
* :mod:`.common` and :mod:`.tables`: the values the phases hand each other,
  and ``data/dependency_manifests.toml``.

The facts it needs (WORKDIR at each instruction, parsed scripts, the build
context and ``.dockerignore``, pyproject facts) come from the semantic model,
:mod:`dockopt.model`.
"""

from __future__ import annotations

from .rule import RULE, apply

__all__ = ["RULE", "apply"]
