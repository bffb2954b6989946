"""The text report of a :class:`Verification` (the JSON form is ``to_json``)."""

from __future__ import annotations

from .result import Verification

_MARK = {True: "ok", False: "FAIL", None: "-"}
_VERDICT = {"equivalent": "EQUIVALENT", "different": "DIFFERENT", "cannot-verify": "CANNOT VERIFY"}


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def text_report(v: Verification, title: str) -> str:
    lines = [f"verify: {title}"]
    width = max((len(c.name) for c in v.checks), default=0)
    for c in v.checks:
        lines.append(f"  {c.name.ljust(width)}  {_MARK[c.ok]:4}  {c.detail}")
        lines.extend(f"      {d}" for d in c.differences)
    if v.before is not None:
        rows = [("", "original", "rewrite")]
        b, a = v.before, v.after
        rows.append(("image size", _mb(b.size_bytes), _mb(a.size_bytes) if a else "-"))
        rows.append(("layers", str(len(b.layers)), str(len(a.layers)) if a else "-"))
        kind = "cold build" if b.cold else "build"
        rows.append((kind, f"{b.build_seconds:.1f} s", f"{a.build_seconds:.1f} s" if a else "-"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines.append("figures")
        lines.extend("  " + "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r)) for r in rows)
        if v.size_reduction is not None:
            lines.append(f"  size reduction: {v.size_reduction:.0%}")
        reused = {True: "yes", False: "no (the install re-ran)", None: "not measured"}[v.dependency_layer_reused]
        lines.append(f"  dependency layer reused after a code-only edit: {reused}")
    lines.extend(f"  note: {n}" for n in v.notes)
    if v.reason:
        lines.append("reason: " + v.reason.replace("\n", "\n  "))
    lines.append(f"result: {_VERDICT[v.status]} (exit {v.exit_code})")
    return "\n".join(lines)
