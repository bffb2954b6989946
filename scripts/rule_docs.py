"""Write docs/rules/<ID>.md for every rule, from the rule objects themselves.

The language server links each diagnostic to its rule's page
(``dockopt.report.rule_url``), so every rule needs one. Run after changing a
rule's title, why, notes or example:

    python scripts/rule_docs.py          # write the pages
    python scripts/rule_docs.py --check  # exit 1 when a page is missing or stale

tests/lsp/test_units.py runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dockopt.passes import RULES
from dockopt.report import rule_page

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def pages() -> dict[Path, str]:
    out = {DOCS / f"{rule.id}.md": rule_page(rule) for rule in RULES}
    rows = ["| id | name | fix | what it does |", "| --- | --- | --- | --- |"]
    rows += [f"| [{r.id}]({r.id}.md) | {r.name} | {r.safety} | {r.title} |" for r in RULES]
    out[DOCS / "README.md"] = (
        "# Rules\n\nIn the order they run. `dockopt explain ID` prints the same pages.\n\n" + "\n".join(rows) + "\n"
    )
    return out


def stale() -> list[str]:
    wanted = pages()
    problems = [str(p) for p, text in wanted.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    problems += [str(p) for p in DOCS.glob("*.md") if p not in wanted]
    return sorted(problems)


def main() -> int:
    if "--check" in sys.argv[1:]:
        problems = stale()
        for p in problems:
            print(f"stale or missing: {p}", file=sys.stderr)
        return 1 if problems else 0
    DOCS.mkdir(parents=True, exist_ok=True)
    for path, text in pages().items():
        path.write_text(text, encoding="utf-8")
    for extra in DOCS.glob("*.md"):
        if extra not in pages():
            extra.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
