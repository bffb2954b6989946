"""Build the stand-in base images every project of the manifest needs.

For each ``python:X.Y[.Z][-slim][-release]`` tag a project's Dockerfile
names, ``scripts/stand-in-images.sh X.Y`` builds ``python:X.Y`` and
``python:X.Y-slim`` with this machine's CPython X.Y, and this script tags the
exact name the Dockerfile uses onto them. What the tag promises and the
stand-in does not keep is printed (and recorded in the README's table):
a patch version other than pyenv's, and the Debian release, which is always
bookworm here (bullseye/buster tags get bookworm). Alpine and other
non-python images cannot be built offline; run.py reports those projects as
"original does not build offline".

    sudo python bench/realworld/base_images.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from common import ROOT, checkout, external_images, load_manifest, stand_in_for

DOCKER = "/usr/bin/docker"


def slim_variant(image: str) -> str | None:
    """python:3.9 -> python:3.9-slim, python:3.8-buster -> python:3.8-slim-buster,
    python:latest -> python:slim; None when already slim."""
    tag = image.split(":", 1)[1]
    if "slim" in tag:
        return None
    if tag == "latest":
        return "python:slim"
    for release in ("-bookworm", "-bullseye", "-buster", "-trixie"):
        if tag.endswith(release):
            return f"python:{tag[: -len(release)]}-slim{release}"
    return f"python:{tag}-slim"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="projects to prepare (default: all)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan, build nothing")
    ap.add_argument("--aliases-only", action="store_true", help="only tag the aliases (the stand-ins exist)")
    opts = ap.parse_args()
    projects = [p for p in load_manifest() if not opts.only or p.name in opts.only]
    aliases: dict[str, str] = {}
    versions: set[str] = set()
    for p in projects:
        src = checkout(p)
        if src is None:
            print(f"{p.name}: no source snapshot at {p.mirror}; skipped", file=sys.stderr)
            continue
        dockerfile = src / p.dockerfile
        if not dockerfile.is_file():
            print(f"{p.name}: {p.dockerfile} not in the checkout", file=sys.stderr)
            continue
        for image in external_images(dockerfile.read_text(errors="replace")):
            stand_in = stand_in_for(image)
            if stand_in is None:
                print(f"{p.name}: {image}: no offline stand-in", file=sys.stderr)
                continue
            tag, version = stand_in
            versions.add(version)
            name = image if ":" in image else image + ":latest"
            if name != tag:
                aliases[name] = tag
            # dockopt's rewrite may name the slim variant of the same tag.
            slim = slim_variant(name)
            if slim is not None and slim != f"python:{version}-slim":
                aliases[slim] = f"python:{version}-slim"
    print("versions:", " ".join(sorted(versions, key=lambda v: tuple(map(int, v.split("."))))))
    for alias, tag in sorted(aliases.items()):
        print(f"  {alias} -> {tag}")
    if opts.dry_run:
        return 0
    ordered = sorted(versions, key=lambda v: tuple(map(int, v.split("."))))
    if not opts.aliases_only:
        subprocess.run(["bash", str(ROOT / "scripts" / "stand-in-images.sh"), *ordered], check=True)
    for alias, tag in sorted(aliases.items()):
        subprocess.run([DOCKER, "tag", tag, alias], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
