"""Fill a ``--texts`` folder for scan.py from the session's ``read_file`` answers.

Where no snapshot of a repository can be fetched (too big, not available),
the session's ``read_file`` tool still returns a file's text as JSON:
``{"repo": ..., "path": ..., "commit": ..., "text": ..., "offset": ..., "total_chars": ...}``.
Save those answers (one JSON object per line, or a JSON list) to a file and run

    .venv/bin/python bench/realworld/scan_texts.py answers.jsonl --texts ~/dockopt-texts
    .venv/bin/python bench/realworld/scan.py --texts ~/dockopt-texts

Each text lands in ``DIR/<owner>+<name>/<path>``; pieces of a long file
(answers with ``offset`` > 0) are joined in order, and a file whose pieces
leave a gap is refused, not written half. The entry still
has to be listed in scan.toml (repo, commit, path). A text read this way is
what the tool returned, which need not be the file byte for byte (its
``total_chars`` has been seen to differ from the text's length; the stored
version may not be the commit's either): prefer snapshots (``fetch``), which
keep the bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def answers(path: Path) -> list[dict[str, Any]]:
    raw = path.read_text()
    if raw.lstrip().startswith("["):
        return list(json.loads(raw))
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("answers", type=Path, help="read_file answers, JSON lines or a JSON list")
    ap.add_argument("--texts", type=Path, required=True, help="the folder scan.py --texts reads")
    args = ap.parse_args()
    pieces: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for a in answers(args.answers):
        pieces.setdefault((a["repo"], a["path"]), []).append(a)
    bad = 0
    for (repo, path), parts in sorted(pieces.items()):
        parts.sort(key=lambda a: int(a.get("offset", 0)))
        text = "".join(a["text"] for a in parts)
        if any(int(a.get("offset", 0)) != sum(len(b["text"]) for b in parts[:i]) for i, a in enumerate(parts)):
            print(f"{repo}:{path}: the pieces leave a gap; not written", file=sys.stderr)
            bad += 1
            continue
        total = parts[0].get("total_chars", len(text))
        if len(text) != total:  # seen: total_chars 196 for a 194-character answer
            print(f"{repo}:{path}: warning: {len(text)} characters, the tool counted {total}", file=sys.stderr)
        target = args.texts / repo.replace("/", "+") / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8", "surrogateescape"))
        print(f"{target}  ({repo} {parts[0].get('commit', '')})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
