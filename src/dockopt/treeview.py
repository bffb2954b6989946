"""What ``dockopt parse`` prints: the tree as text or as a JSON document.

Shared by the click command and the console script's fast path
(``dockopt.entry``), so both print the same thing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .syntax import Dockerfile, Instruction


def _instruction_json(ins: Instruction) -> dict[str, Any]:
    child = ins.onbuild_child
    return {
        "line": ins.line,
        "end_line": ins.end_line,
        "keyword": ins.keyword,
        "sub_keyword": child.keyword if child is not None else None,
        "flags": [f.raw for f in ins.flags],
        "value": list(ins.value),
        "json": ins.is_json,
        "heredocs": [
            {"name": h.name, "fd": h.fd, "chomp": h.chomp, "expand": h.expand, "body": h.body} for h in ins.heredocs
        ],
        "original": ins.logical.rstrip("\r\n"),
    }


def tree_json(doc: Dockerfile) -> dict[str, Any]:
    """The ``parse --json`` document: file properties, what precedes the first FROM, the stages."""
    stages = doc.stages
    first_from = stages[0].from_instruction if stages else None
    before: list[Instruction] = []
    for ins in doc.instructions:
        if ins is first_from:
            break
        before.append(ins)
    return {
        "escape": doc.escape,
        "newline": doc.newline,
        "bom": bool(doc.bom),
        "directives": [{"name": d.name, "value": d.value} for d in doc.parsed_directives],
        "global": [_instruction_json(i) for i in before],
        "stages": [
            {
                "index": s.index,
                "name": s.name,
                "base": s.base,
                "platform": s.platform,
                "instructions": [_instruction_json(i) for i in s.all_instructions()],
            }
            for s in stages
        ],
    }


def tree_text(doc: Dockerfile) -> str:
    """The ``parse`` tree as text, one instruction per line."""
    import json

    tree = tree_json(doc)
    newline = {"\n": "LF", "\r\n": "CRLF"}.get(doc.newline, repr(doc.newline))
    out = [f"file: escape {doc.escape}, line endings {newline}, BOM {'yes' if doc.bom else 'no'}"]
    if tree["directives"]:
        out.append("directives: " + ", ".join(f"{d['name']}={d['value']}" for d in tree["directives"]))

    def show(ins: dict[str, Any]) -> str:
        start, end = ins["line"], ins["end_line"]
        span = f"{start}" if end in (None, start) else f"{start}-{end}"
        parts = [f"  {span:<8}{ins['keyword']}"]
        if ins["sub_keyword"]:
            parts.append(ins["sub_keyword"])
        parts.extend(ins["flags"])
        parts.append(json.dumps(ins["value"], ensure_ascii=False))
        if ins["json"]:
            parts.append("(json form)")
        elif ins["keyword"] in ("RUN", "CMD", "ENTRYPOINT"):
            parts.append("(shell form)")
        if ins["heredocs"]:
            parts.append("heredocs=" + ",".join(h["name"] for h in ins["heredocs"]))
        return " ".join(parts)

    if tree["global"]:
        out.append("before the first FROM")
        out.extend(show(i) for i in tree["global"])
    for stage in tree["stages"]:
        head = f"stage {stage['index']}"
        for key in ("name", "base", "platform"):
            if stage[key] is not None:
                head += f"  {key}={stage[key]}"
        out.append(head)
        out.extend(show(i) for i in stage["instructions"])
    return "\n".join(out) + "\n"


def printable(text: str) -> str:
    """Text safe to print: bytes that were not UTF-8 shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
