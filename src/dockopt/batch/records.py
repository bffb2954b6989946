"""What a batch records: one record per file, one per repository, as plain data that survives JSON.

Records cross process boundaries (workers return them) and runs (reports are
read back by ``--resume`` and ``merge``), so they are dataclasses of JSON
types with a ``to_json``/``from_json`` pair, and nothing in them depends on the
machine except a repository's ``path``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

Outcome = Literal["changed", "unchanged", "skipped-file", "error", "unproven"]
OUTCOMES: tuple[Outcome, ...] = ("changed", "unchanged", "skipped-file", "error", "unproven")
RepoStatus = Literal["done", "skipped", "error"]
BranchAction = Literal["created", "updated", "unchanged", "none"]
Mode = Literal["dry-run", "write", "git-branch"]


class RecordError(ValueError):
    """A report does not have the shape ``dockopt batch`` writes."""


@dataclass(frozen=True)
class Note:
    """A change a rule made, or one it declined (a skip), at a line of the original file."""

    rule: str
    line: int | None
    message: str


@dataclass(frozen=True)
class ErrorInfo:
    kind: str  # parse, read, write, internal, config
    message: str  # one line, without the path
    line: int | None = None
    column: int | None = None
    text: str = ""  # ``path:line:col: message``


@dataclass(frozen=True)
class Image:
    """An image verify built: its size and its layers (diff id, bytes), for the fleet's storage."""

    size_bytes: int
    layers: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Proof:
    """What ``dockopt verify`` said about one rewrite."""

    status: str  # equivalent, different, cannot-verify
    reason: str | None
    checks: tuple[dict[str, Any], ...] = ()
    before: Image | None = None
    after: Image | None = None

    @property
    def equivalent(self) -> bool:
        return self.status == "equivalent"


@dataclass
class FileRecord:
    repository: str
    path: str  # from the repository's top, ``/``-separated
    outcome: Outcome
    reason: str | None = None  # why skipped-file or unproven
    rules: list[str] = field(default_factory=list)  # rule ids that changed the file, in order
    changes: list[Note] = field(default_factory=list)
    skips: list[Note] = field(default_factory=list)
    error: ErrorInfo | None = None
    diff: str | None = None
    written: bool = False  # --write put the rewrite in the working tree
    verification: Proof | None = None
    new_files: list[str] = field(default_factory=list)  # a new .dockerignore (DO010), from the repository's top

    @property
    def key(self) -> tuple[str, str]:
        return (self.repository, self.path)

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_json(cls, data: Any) -> FileRecord:
        try:
            outcome = data["outcome"]
            if outcome not in OUTCOMES:
                raise RecordError(f"unknown outcome {outcome!r}")
            error = data.get("error")
            proof = data.get("verification")
            return cls(
                repository=str(data["repository"]),
                path=str(data["path"]),
                outcome=cast(Outcome, outcome),
                reason=data.get("reason"),
                rules=[str(r) for r in data.get("rules", [])],
                changes=[Note(**n) for n in data.get("changes", [])],
                skips=[Note(**n) for n in data.get("skips", [])],
                error=ErrorInfo(**error) if error else None,
                diff=data.get("diff"),
                written=bool(data.get("written", False)),
                verification=_proof(proof) if proof else None,
                new_files=[str(p) for p in data.get("new_files", [])],
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise RecordError(f"a file record is malformed ({type(exc).__name__}: {exc})") from None


@dataclass
class RepoRecord:
    repository: str
    path: str  # where it was on the machine that ran it
    head: str | None  # the commit HEAD named; None with no commits
    status: RepoStatus
    mode: Mode
    reason: str | None = None  # why skipped or error
    branch: str | None = None
    branch_action: BranchAction | None = None
    commit: str | None = None  # the branch's commit (made or kept)
    patch: str | None = None  # the patch file written with --patch-dir
    verify: bool = False
    resumed: bool = False  # copied from the --resume report, not run again

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RepoRecord:
        try:
            values = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
            record = cls(**values)
        except TypeError as exc:
            raise RecordError(f"a repository record is malformed ({exc})") from None
        if record.status not in ("done", "skipped", "error"):
            raise RecordError(f"unknown repository status {record.status!r}")
        return record


@dataclass
class RepoResult:
    """What a worker returns for one repository."""

    repo: RepoRecord
    files: list[FileRecord] = field(default_factory=list)


def _proof(data: dict[str, Any]) -> Proof:
    def image(d: dict[str, Any] | None) -> Image | None:
        if not d:
            return None
        return Image(int(d["size_bytes"]), tuple((str(a), int(b)) for a, b in d.get("layers", ())))

    return Proof(
        status=str(data["status"]),
        reason=data.get("reason"),
        checks=tuple(data.get("checks", ())),
        before=image(data.get("before")),
        after=image(data.get("after")),
    )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """asdict() keeps tuples; JSON (and a report read back) has lists."""
    proof = data.get("verification")
    if proof is not None:
        for side in ("before", "after"):
            image = proof.get(side)
            if image is not None:
                image["layers"] = [list(layer) for layer in image["layers"]]
        proof["checks"] = list(proof["checks"])
    return data
