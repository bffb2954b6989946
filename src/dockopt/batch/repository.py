"""One repository through the batch: what a worker process runs.

The Dockerfiles come from ``HEAD``'s tree for ``--git-branch`` (with the
build contexts and config files copied from the commit, see
:mod:`.snapshot`) and from the checkout otherwise. Each file goes through the
same code as ``dockopt rewrite`` (:mod:`dockopt.filejob`), optionally through
``verify``, and then into the working tree (``--write``), a patch
(``--patch-dir``) or a commit on the branch. Nothing a repository does (a
broken file, a git failure, a bug) escapes this function: it becomes the
repository's or the file's outcome.
"""

from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path

from ..config import Config, ConfigError, Resolver, discover, load
from ..filejob import Job, Settings, context_step, is_excluded, rewrite_bytes, write
from ..report import FileReport
from . import snapshot, sources
from .blobs import BlobReader
from .branch import commit_branch
from .discover import Repository, is_repository
from .git import Git, GitError
from .options import Options
from .records import ErrorInfo, FileRecord, Note, Proof, RepoRecord, RepoResult
from .tracked import Entry, commit_tree, dockerfiles, index_files
from .verifying import VerifyFn, failed_proof, to_proof


def process_repository(
    repo: Repository, opts: Options, verify: VerifyFn | None = None, previous: RepoResult | None = None
) -> RepoResult:
    """Rewrite one repository's Dockerfiles; with ``previous`` (from --resume) reuse it if it still holds."""
    record = RepoRecord(
        repo.id, str(repo.path), head=None, status="done", mode=opts.mode, branch=opts.branch, verify=verify is not None
    )
    result = RepoResult(record)
    try:
        if not repo.path.is_dir():
            return _fail(result, "no such folder")
        if not is_repository(repo.path):
            return _fail(result, "not a git repository (no .git here)")
        git = Git(repo.path)
        record.head = git.head()
        if previous is not None and resumable(previous, record, git, opts):
            return _resumed(previous)
        _Run(repo, git, opts, verify, result).run()
    except GitError as exc:
        _fail(result, str(exc))
    except Exception as exc:  # a bug must not stop the other repositories
        if opts.debug:
            import traceback

            traceback.print_exception(exc)
        _fail(result, f"internal error, please report: {type(exc).__name__}: {exc}")
    return result


def resumable(previous: RepoResult, now: RepoRecord, git: Git, opts: Options) -> bool:
    """A previous record still stands: finished without errors, same HEAD, same kind of run, its branch intact."""
    before = previous.repo
    if before.status == "error" or any(f.outcome == "error" for f in previous.files):
        return False
    if (before.head, before.mode, before.branch, before.verify) != (now.head, now.mode, now.branch, now.verify):
        return False
    if before.head is None:
        return False
    if opts.mode == "git-branch" and before.branch_action not in (None, "none"):
        assert opts.branch is not None
        if git.resolve(f"refs/heads/{opts.branch}") != before.commit:
            return False
    if opts.patch_dir is not None and any(f.outcome == "changed" for f in previous.files):
        expected = str(patch_path(opts.patch_dir, before.repository))
        if before.patch != expected or not Path(expected).is_file():
            return False
    return True


def patch_path(patch_dir: Path, repo_id: str) -> Path:
    """``DIR/<identifier>.patch``; an identifier never climbs out of DIR."""
    parts = [p for p in repo_id.split("/") if p not in ("", ".", "..")] or ["repository"]
    return patch_dir.joinpath(*parts[:-1], parts[-1] + ".patch")


class _Run:
    def __init__(self, repo: Repository, git: Git, opts: Options, verify: VerifyFn | None, result: RepoResult) -> None:
        self.repo, self.git, self.opts, self.verify, self.result = repo, git, opts, verify, result
        self.settings = Settings(Resolver(), select=opts.select, ignore=opts.ignore, unsafe=opts.unsafe)
        self.kept: dict[str, tuple[str, str | None, FileRecord]] = {}  # path -> (mode, new text or None, record)
        self.created: dict[str, str] = {}  # new .dockerignore files (DO010): path -> content
        self.claims: set[str] = set()  # build contexts whose new .dockerignore a file already planned
        self.root: Path = repo.path  # where the files and contexts are read: the checkout or a snapshot
        self._configs: dict[str, Config] = {}

    # -- reading ----------------------------------------------------------------------------------------

    def run(self) -> None:
        if self.opts.mode == "git-branch":
            head = self.result.repo.head
            if head is None:
                self.result.repo.status = "skipped"
                self.result.repo.reason = "no commits: nothing to branch from"
                return
            self._from_commit(head)
            self._commit(head)
        else:
            for entry in dockerfiles(index_files(self.git)):
                self._file(entry, sources.from_checkout(self.repo.path, entry))
        self._patch()

    def _from_commit(self, head: str) -> None:
        """Read HEAD's Dockerfiles and rewrite them against a copy of HEAD's contexts and configs."""
        entries = commit_tree(self.git, head)
        found = dockerfiles(entries)
        if not found:
            return
        with BlobReader(self.git) as blobs, tempfile.TemporaryDirectory(prefix="dockopt-batch-") as scratch:
            loaded = [(entry, sources.from_commit(entry, blobs)) for entry in found]
            folders = {entry.folder for entry, item in loaded if item.data is not None}
            self.root = Path(scratch)
            snapshot.write(entries, folders, self.root, blobs, full=self.verify is not None)
            try:
                for entry, item in loaded:
                    self._file(entry, item)
            finally:
                self.root = self.repo.path

    # -- one file --------------------------------------------------------------------------------------

    def _file(self, entry: Entry, item: sources.Loaded) -> None:
        record = FileRecord(self.repo.id, entry.path, "unchanged")
        self.result.files.append(record)
        if item.skip is not None:
            record.outcome, record.reason = "skipped-file", item.skip
            return
        if item.error is not None or item.data is None:
            message = item.error or "cannot read"
            record.outcome = "error"
            record.error = ErrorInfo("read", message, text=f"{entry.path}: {message}")
            return
        try:
            config = self._config(entry.folder)
        except ConfigError as exc:
            record.outcome = "error"
            record.error = ErrorInfo("config", str(exc), text=f"{entry.path}: {exc}")
            return
        job = Job(entry.path, self.repo.path / entry.path, config, self.root / entry.folder)
        if is_excluded(job):
            record.outcome, record.reason = "skipped-file", f"excluded by the exclude patterns of {config.path}"
            return
        report, new = rewrite_bytes(job, item.data, debug=self.opts.debug)
        if report.error is None and not report.skipped_file:
            self._context(job, entry, report, new if new is not None else item.data)
        _fill(record, report)
        if record.outcome != "changed":
            return
        if self.verify is not None and new is not None:
            proof = self._verify(item.data.decode("utf-8", "surrogateescape"), new, job.context_dir)
            record.verification = proof
            if not proof.equivalent:
                record.outcome, record.reason = "unproven", proof.reason or f"verify says {proof.status}"
                return
        if self.opts.mode == "write":
            if new is not None:
                write(job, report, item.data, new)
            if report.error is None:
                self._create(report)
            if report.error is not None:
                _fill(record, report)
                return
            record.written = True
        self.kept[entry.path] = (entry.mode, new, record)
        for new_file in report.new_files:
            self.created[new_file.path] = new_file.content

    def _context(self, job: Job, entry: Entry, report: FileReport, text: str | bytes) -> None:
        """DO010 on the file's build context, as ``dockopt rewrite`` runs it: a new .dockerignore is planned here
        and created (``--write``), committed (``--git-branch``) or patched (``--patch-dir``) with the Dockerfile.

        Under ``--verify`` a new file is not made: the proof builds the rewrite with the context as it is, so
        it would not cover the file (the rule says so in a skip).
        """
        from ..fileio import decode
        from ..passes.base import Skip

        folder = posixpath.dirname(entry.path)
        shown = posixpath.join(folder, ".dockerignore") if folder else ".dockerignore"
        changes, diff = len(report.changes), report.diff
        rewritten = text if isinstance(text, str) else decode(text)
        context_step(job, report, rewritten, "dry-run", self.claims, shown=shown, dockerfile=self.root / entry.path)
        if self.verify is not None and report.new_files:
            del report.changes[changes:]
            report.diff = diff
            report.skips.extend(
                Skip(
                    "DO010",
                    None,
                    f"{f.path} not created: --verify proves the rewrite against the build context as it is; "
                    "create it with `dockopt rewrite --write` and build",
                    False,
                )
                for f in report.new_files
            )
            report.new_files = []

    def _create(self, report: FileReport) -> None:
        """``--write``: create the planned .dockerignore files in the working tree (never over an existing one)."""
        from ..fileio import FileError, create_new_atomic, encode
        from ..report import FileError as ReportedError

        for new_file in report.new_files:
            target = self.repo.path / new_file.path
            try:
                create_new_atomic(target, encode(new_file.content))
            except FileError as exc:
                message = f"{new_file.path}: {str(exc).removeprefix(f'{target}: ')}"
                report.error = ReportedError("write", message, detail=message)
                return
            new_file.written = True

    def _verify(self, original: str, new: str, context: Path | None) -> Proof:
        assert self.verify is not None and context is not None
        try:
            return to_proof(self.verify(original, new, context))
        except Exception as exc:
            return failed_proof(exc)

    def _config(self, folder: str) -> Config:
        """The settings for a folder: from the checkout as ``dockopt rewrite`` finds them, or from the commit."""
        if folder in self._configs:
            return self._configs[folder]
        if self.root == self.repo.path:
            config: Config = self.settings.for_folder(self.repo.path / folder)
        else:
            found = discover(self.root / folder, stop=self.root)
            if found is not None:
                shown = self.repo.path / found.relative_to(self.root)
                config = self.settings.apply(load(found, shown=shown))
            else:  # nothing in the commit: a config above the repository (a fleet-wide one) may apply
                config = self.settings.for_folder(self.repo.path.parent)
        self._configs[folder] = config
        return config

    # -- results ---------------------------------------------------------------------------------------

    def _commit(self, head: str) -> None:
        assert self.opts.branch is not None
        from ..fileio import encode

        files = {path: (mode, encode(text)) for path, (mode, text, _r) in self.kept.items() if text is not None}
        files.update((path, ("100644", encode(content))) for path, content in self.created.items())
        outcome = commit_branch(self.git, head, self.opts.branch, files, commit_message(self.kept, head, self.verify))
        self.result.repo.branch_action = outcome.action
        self.result.repo.commit = outcome.commit

    def _patch(self) -> None:
        if self.opts.patch_dir is None or not self.kept:
            return
        from ..fileio import FileError, encode, write_new_atomic

        target = patch_path(self.opts.patch_dir, self.repo.id)
        body = "".join(record.diff or "" for _m, _t, record in sorted(self.kept.values(), key=lambda k: k[2].path))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_new_atomic(target, encode(body))
        except (OSError, FileError) as exc:
            _fail(self.result, f"cannot write the patch: {exc}")
            return
        self.result.repo.patch = str(target)


def commit_message(kept: dict[str, tuple[str, str | None, FileRecord]], head: str, verify: VerifyFn | None) -> str:
    """What the branch's commit says: what was rewritten and by which rules."""
    from ..passes import RULES

    names = {r.id: r.name for r in RULES}
    by_rule: dict[str, list[str]] = {}
    for path in sorted(kept):
        for rule in kept[path][2].rules:
            by_rule.setdefault(rule, []).append(path)
    count = sum(1 for _mode, text, _record in kept.values() if text is not None)
    created = sum(len(record.new_files) for _mode, _text, record in kept.values())
    what = [f"rewrite {count} Dockerfile{'s' if count != 1 else ''}"] if count else []
    if created:
        what.append(f"add {created} .dockerignore file{'s' if created != 1 else ''}")
    lines = [
        f"dockopt: {' and '.join(what)} for smaller, faster builds",
        "",
        f"Made by `dockopt batch` from {head[:12]}.",
    ]
    if verify is not None:
        lines.append("Each rewrite was built and proven equivalent by `dockopt verify`.")
    lines += ["", "Rules applied:"]
    for rule in sorted(by_rule):
        lines.append(f"- {rule} {names.get(rule, '')}: {', '.join(by_rule[rule])}".replace("  ", " "))
    return "\n".join(lines) + "\n"


def _fill(record: FileRecord, report: FileReport) -> None:
    """A FileRecord from the report ``dockopt rewrite`` would print."""
    record.changes = [Note(c.rule, c.line, c.message) for c in report.changes]
    record.skips = [Note(s.rule, s.line, s.message) for s in report.skips]
    record.rules = list(dict.fromkeys(c.rule for c in report.changes))
    record.diff = report.diff or None
    record.new_files = [f.path for f in report.new_files]
    if report.error is not None:
        e = report.error
        where = ":".join(str(x) for x in (record.path, e.line, e.column) if x is not None)
        record.outcome = "error"
        record.error = ErrorInfo(e.kind, e.message, e.line, e.column, f"{where}: {e.message}")
    elif report.skipped_file:
        record.outcome, record.reason = "skipped-file", "# dockopt: skip-file"
    elif report.changed or report.new_files:  # a new .dockerignore (DO010) is a change the run applies
        record.outcome = "changed"
    else:
        record.outcome = "unchanged"


def _fail(result: RepoResult, reason: str) -> RepoResult:
    result.repo.status = "error"
    result.repo.reason = reason
    return result


def _resumed(previous: RepoResult) -> RepoResult:
    previous.repo.resumed = True
    return previous
