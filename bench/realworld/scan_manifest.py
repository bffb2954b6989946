"""Write scan.toml's entries for the Dockerfiles of the repository snapshots here.

Lists every file named like a Dockerfile (``Dockerfile``, ``Dockerfile.dev``,
``app.Dockerfile`` ...) in each snapshot under ``/work/.mirror`` (the session's
``fetch`` tool puts them there), pinned to the snapshot's commit. Every file
that looks like a Python one is kept, and every one with a rare shape (CRLF line
ends, an escape directive, a heredoc, ONBUILD); of the others at most ``--per-repo`` per
repository (spread over its sorted paths; all of ``--all-of``), so that the collections of
hundreds of images (vimagick, jessfraz, Windows images) do not outnumber the
Python services. Only repository, commit and path are written, never the text.

    .venv/bin/python bench/realworld/scan_manifest.py > bench/realworld/scan.toml
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from scan import MIRRORS, git_dir

NAME = re.compile(r"(^|/)[^/]*[Dd]ockerfile[^/]*$")
PYTHONISH = re.compile(rb"(?im)^\s*FROM\s+\S*python|\b(pip3?|poetry|pipenv|uv) (install|sync)\b")
# Shapes few files have, kept wherever they occur: CRLF line ends, an escape directive, heredocs, ONBUILD.
ODD = re.compile(rb"""(?im)\r\n|^\#\s*escape\s*=|<<-?["']?[A-Za-z_]+["']?\s*$|^\s*ONBUILD\s""")
SKIP = re.compile(r"\.(md|rst|txt|json|ya?ml|sh|py|go|j2|tmpl|template|tpl|erb|in)$|dockerfile-|/\.|(^|/)vendor/")


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), *args], capture_output=True, check=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-repo", type=int, default=8, help="non-Python files kept per repository")
    ap.add_argument("--all-of", nargs="*", default=["moby/buildkit"],
                    help="repositories kept whole (BuildKit's own parser test files are edge cases worth every one)")
    args = ap.parse_args()
    print("# Real Dockerfiles for bench/realworld/scan.py: repository, commit, path; never the text.")
    print("# Written by scan_manifest.py from the snapshots in /work/.mirror (see README.md).")
    for snapshot in sorted(MIRRORS.glob("*/repo")):
        repo = snapshot.parent.name.replace("+", "/", 1)
        mirror = git_dir(snapshot)
        try:
            commit = git(mirror, "rev-parse", "HEAD").decode().strip()
            paths = git(mirror, "ls-tree", "-r", "--name-only", commit).decode().splitlines()
        except subprocess.CalledProcessError:
            continue
        paths = [p for p in paths if NAME.search(p) and not SKIP.search(p.lower())]
        python, other, odd = [], [], []
        for p in paths:
            data = git(mirror, "show", f"{commit}:{p}")
            (python if PYTHONISH.search(data) else other).append(p)
            if ODD.search(data):
                odd.append(p)
        if len(other) > args.per_repo and repo not in args.all_of:
            step = len(other) / args.per_repo
            other = [other[int(i * step)] for i in range(args.per_repo)]
        for p in sorted(set(python + other + odd)):
            print(f'\n[[file]]\nrepo = "{repo}"\ncommit = "{commit}"\npath = "{p}"')


if __name__ == "__main__":
    main()
