"""Recognise package-manager calls in a parsed RUN command.

Passes that add cleanup (``rm -rf /var/lib/apt/lists/*``, ``--no-cache-dir``),
reorder dependency installs before ``COPY . .`` or merge ``apt-get update``
with its ``install`` need to know *what* a command installs and *how*, without
looking at strings themselves.  :func:`package_call` answers that for one
:class:`~dockopt.model.shell.SimpleCommand`; it is deliberately table-driven
and small: it classifies words, it does not emulate each tool's CLI.

Supported front-ends (``manager`` / ``tool``):

* ``apt``: ``apt-get``, ``apt``
* ``apk``: ``apk``
* ``yum``: ``yum``, ``dnf``, ``microdnf`` (one family, ``tool`` tells them apart)
* ``pip``: ``pip``, ``pip3``, ``pip3.12``, any path ending in those
  (``/opt/venv/bin/pip``), ``python -m pip``, ``python3.12 -m pip``
* ``uv``: ``uv pip <verb>`` (action ``'pip install'``, ``'pip sync'`` ... so
  it cannot be confused with the project-level ``uv sync``), ``uv sync``,
  ``uv add``, ``uv tool install`` ...
* ``poetry``, ``pipenv``

Not covered: ``pipx``, ``conda``/``mamba``, ``npm``, ``gem``, ``zypper``,
``apt-get`` inside ``sh -c '...'`` strings.
"""

from __future__ import annotations

from dockopt.model.shell import SimpleCommand

from .. import lazyre
from ..records_base import Record

_SEPARATORS_RE = lazyre.compile(r"[-_.]+")
_APT_QUALIFIER_RE = lazyre.compile(r"[=/:]")
_APK_QUALIFIER_RE = lazyre.compile(r"[=<>~@]")

_NAME_END_RE = lazyre.compile(r"[\s\[<>=!~;@(]")

__all__ = ["PackageInstall", "normalize_package_name", "package_call", "pep503_name", "unmodelled_install"]


def _wordset(text: str) -> frozenset[str]:
    """Set of the blank-separated words of ``text`` (keeps long tables readable)."""
    return frozenset(text.split())


_PIP_NAME_RE = lazyre.compile(r"pip[0-9]*(?:\.[0-9]+)*")
_PYTHON_NAME_RE = lazyre.compile(r"python[0-9]*(?:\.[0-9]+)*")
# `-m pip`, `-mpip`, or flags clustered before it (`-Im pip`).
_PYTHON_M_RE = lazyre.compile(r"-[bBdEhiIOqsSuvV]*m(.*)")

# Options (per manager) that consume a value, as `--opt value`, `--opt=value`
# or `-xvalue`.  Knowing them is what keeps `--virtual .build-deps` or
# `-o Dpkg::Options::=--force-confold` from being read as package names.
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "apt": _wordset("-o -c -t -a --option --config-file --target-release --default-release --host-architecture"),
    "apk": _wordset(
        "-t --virtual -X --repository -p --root --arch --cache-dir "
        "--keys-dir --repositories-file --cache-max-age --timeout"
    ),
    "yum": _wordset(
        "-c --config -d --debuglevel -e --errorlevel -x --exclude --setopt "
        "--enablerepo --disablerepo --releasever --installroot --repo "
        "--repoid --downloaddir --destdir --rpmverbosity --color "
        "--forcearch --comment --advisory --bz --cve --sec-severity"
    ),
    "pip": _wordset(
        "-r --requirement -c --constraint -e --editable -i --index-url "
        "--extra-index-url -f --find-links -t --target --prefix --root "
        "--src --upgrade-strategy --platform --python-version "
        "--implementation --abi --no-binary --only-binary --progress-bar "
        "--trusted-host --cache-dir --log --log-file --proxy --timeout "
        "--retries --exists-action --cert --client-cert --global-option "
        "--install-option -C --config-settings --root-user-action --report "
        "--python --keyring-provider --use-feature --use-deprecated -d "
        "--dest -w --wheel-dir --build-option --default-timeout "
        "--destination-dir --destination-directory --local-log --pypi-url "
        "--source --source-dir --source-directory --group --build-constraint "
        "--refresh-package --resume-retries --uploaded-prior-to "
        "--all-releases --only-final --requirements-from-script"
        # every value-taking option of pip 23.2 to 26.3's install, download, wheel and uninstall
        # (tests/model/test_pip_options.py holds this list to pip's own parser)
    ),
    "uv": _wordset(
        "-r --requirement --requirements -c --constraint --constraints "
        "--override --overrides -b --build-constraint --build-constraints "
        "-e --editable -i --index-url --extra-index-url --index "
        "--default-index -f --find-links -p --python --target --prefix "
        "--cache-dir --index-strategy --keyring-provider -P "
        "--upgrade-package --reinstall-package --no-binary --only-binary "
        "--resolution --prerelease --exclude-newer --link-mode -C "
        "--config-setting --python-platform --python-version "
        "--no-build-isolation-package --extra --group --no-group "
        "--only-group --package --no-install-package --directory --project "
        "--config-file --color -o --output-file --allow-insecure-host "
        "--refresh-package --optional --tag --branch --rev --bounds -m "
        "--marker --script --with --torch-backend"
    ),
    "poetry": _wordset(
        "--only --without --with -E --extras -C --directory -P --project -G "
        "--group --source --python --platform --markers -f --format -o "
        "--output"
    ),
    "pipenv": _wordset("--python -r --requirements --categories --extra-pip-args -i --index --pypi-mirror"),
}

# Actions whose positional arguments are packages.
_PACKAGE_ACTIONS: dict[str, frozenset[str]] = {
    "apt": frozenset({"install", "remove", "purge", "reinstall", "build-dep", "source", "download"}),
    "apk": frozenset({"add", "del", "fix"}),
    "yum": _wordset("install remove erase reinstall downgrade upgrade update groupinstall localinstall autoremove"),
    "pip": frozenset({"install", "uninstall", "download", "wheel"}),
    "uv": frozenset({"pip install", "pip uninstall", "add", "remove", "tool install"}),
    "poetry": frozenset({"add", "remove"}),
    "pipenv": frozenset({"install", "uninstall"}),
}

_INSTALL_ACTIONS = frozenset(
    {
        "install",
        "add",
        "reinstall",
        "groupinstall",
        "localinstall",
        "sync",
        "pip install",
        "pip sync",
        "tool install",
    }
)

_REQUIREMENT_OPTIONS = frozenset({"-r", "--requirement", "--requirements"})
_CONSTRAINT_OPTIONS = frozenset({"-c", "--constraint", "--constraints"})
_EDITABLE_OPTIONS = frozenset({"-e", "--editable"})

_LOCAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "apt": (".deb",),
    "apk": (".apk",),
    "yum": (".rpm",),
}
_PYTHON_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip")


class PackageInstall(Record):
    """What a package-manager call does, in terms passes can test directly.

    ``options`` lists every flag seen (short clusters such as ``-qy`` split
    into ``-q``, ``-y``; ``--opt=value`` reported as ``--opt``), global ones
    before the action included; ``option_values`` pairs the value-taking
    ones with their value.  ``arguments`` are all positional words after the
    action, unclassified (e.g. ``poetry config virtualenvs.create false``);
    ``packages`` / ``local_paths`` classify them for actions that take
    packages.  Requirement, constraint and editable targets come from their
    options, so they never appear in ``packages``.
    """

    _fields = (
        "manager", "tool", "action", "command", "packages", "requirement_files", "constraint_files", "editable",
        "local_paths", "arguments", "options", "option_values",
    )
    __slots__ = _fields
    manager: str
    tool: str
    action: str
    command: SimpleCommand
    packages: tuple[str, ...]
    requirement_files: tuple[str, ...]
    constraint_files: tuple[str, ...]
    editable: tuple[str, ...]
    local_paths: tuple[str, ...]
    arguments: tuple[str, ...]
    options: tuple[str, ...]
    option_values: tuple[tuple[str, str], ...]

    def __init__(
        self,
        manager: str,
        tool: str,
        action: str,
        command: SimpleCommand,
        packages: tuple[str, ...] = (),
        requirement_files: tuple[str, ...] = (),
        constraint_files: tuple[str, ...] = (),
        editable: tuple[str, ...] = (),
        local_paths: tuple[str, ...] = (),
        arguments: tuple[str, ...] = (),
        options: tuple[str, ...] = (),
        option_values: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._set(
            manager,
            tool,
            action,
            command,
            packages,
            requirement_files,
            constraint_files,
            editable,
            local_paths,
            arguments,
            options,
            option_values,
        )

    def has_option(self, *names: str) -> bool:
        """Whether any of ``names`` (e.g. ``'-y'``, ``'--yes'``) was given."""
        return any(opt in names for opt in self.options)

    def option_value(self, *names: str) -> str | None:
        """Value of the last of ``names`` given, e.g. ``option_value('--only')``."""
        found: str | None = None
        for opt, value in self.option_values:
            if opt in names:
                found = value
        return found

    @property
    def is_install(self) -> bool:
        """Whether this call installs packages (install/add/sync and kin)."""
        return self.action in _INSTALL_ACTIONS

    @property
    def refreshes_index(self) -> bool:
        """``apt-get update``, ``apk update``, ``yum makecache``: index downloads to clean up."""
        return (self.manager in ("apt", "apk") and self.action == "update") or (
            self.manager == "yum" and self.action == "makecache"
        )

    @property
    def package_names(self) -> tuple[str, ...]:
        """``packages`` without versions, extras or suffixes (see :func:`normalize_package_name`)."""
        return tuple(normalize_package_name(self.manager, p) for p in self.packages)


def pep503_name(name: str) -> str:
    """A Python distribution's name as PEP 503 compares it: ``GitPython`` -> ``gitpython``, ``python_magic`` -> ``python-magic``."""
    return _SEPARATORS_RE.sub("-", name).lower()


def normalize_package_name(manager: str, spec: str) -> str:
    """Bare package name of a spec: ``'fastapi[all]>=0.100'`` -> ``'fastapi'``.

    Python names are also PEP 503-normalised (``Foo_Bar`` -> ``foo-bar``);
    ``curl=7.88*`` (apt), ``curl/bookworm-backports``, ``libc6:amd64`` and
    ``gcc~=12`` (apk) lose their qualifiers.  yum/dnf specs are left as they
    are: ``name-version`` cannot be split without the repository.
    """
    if manager in ("pip", "uv", "poetry", "pipenv"):
        return pep503_name(_NAME_END_RE.split(spec, maxsplit=1)[0])
    if manager == "apt":
        return _APT_QUALIFIER_RE.split(spec, maxsplit=1)[0]
    if manager == "apk":
        return _APK_QUALIFIER_RE.split(spec, maxsplit=1)[0]
    return spec


def _is_local(manager: str, word: str) -> bool:
    """Whether a positional argument names a file/directory rather than a package."""
    if "://" in word or word.startswith("git+"):
        return False
    if word in (".", "..") or word.startswith(("./", "../", "/", "~")):
        return True
    if manager in ("pip", "uv", "poetry", "pipenv"):
        if " @ " in word or "@" in word.split("/", 1)[0]:
            return False  # `name @ url` direct reference
        return word.startswith(".") or "/" in word or word.endswith(_PYTHON_SUFFIXES)
    return word.endswith(_LOCAL_SUFFIXES.get(manager, ()))


def _scan(args: tuple[str, ...], value_options: frozenset[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split ``args`` into (option, value) pairs and positional words."""
    options: list[tuple[str, str | None]] = []
    positionals: list[str] = []
    i = 0
    only_positionals = False
    while i < len(args):
        arg = args[i]
        i += 1
        if only_positionals or arg == "-" or not arg.startswith("-"):
            positionals.append(arg)
        elif arg == "--":
            only_positionals = True
        elif arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if eq:
                options.append((name, value))
            elif name in value_options and i < len(args):
                options.append((name, args[i]))
                i += 1
            else:
                options.append((name, None))
        else:
            for k in range(1, len(arg)):
                name = "-" + arg[k]
                if name in value_options:
                    rest = arg[k + 1 :].removeprefix("=")
                    if rest:
                        options.append((name, rest))
                    elif i < len(args):
                        options.append((name, args[i]))
                        i += 1
                    else:
                        options.append((name, None))
                    break
                options.append((name, None))
    return options, positionals


def _identify(cmd: SimpleCommand) -> tuple[str, str, tuple[str, ...]] | None:
    """(manager, tool, remaining args) for a package-manager command, else None."""
    name = cmd.name
    if name is None:
        return None
    args = cmd.args
    if name in ("apt-get", "apt"):
        return "apt", name, args
    if name == "apk":
        return "apk", name, args
    if name in ("yum", "dnf", "microdnf"):
        return "yum", name, args
    if name in ("uv", "poetry", "pipenv"):
        return name, name, args
    if _PIP_NAME_RE.fullmatch(name):
        return "pip", name, args
    if _PYTHON_NAME_RE.fullmatch(name):
        # python [-flags] -m pip ...; interpreter options -W/-X take a value.
        i = 0
        while i < len(args):
            arg = args[i]
            m = _PYTHON_M_RE.fullmatch(arg)
            if m:
                inline = m.group(1)
                module = inline or (args[i + 1] if i + 1 < len(args) else "")
                if module != "pip":
                    return None
                return "pip", f"{name} -m pip", args[i + (1 if inline else 2) :]
            if arg in ("-W", "-X"):
                i += 2
            elif arg.startswith("-") and arg not in ("-", "-c"):
                i += 1
            else:
                return None
        return None
    return None


def package_call(cmd: SimpleCommand) -> PackageInstall | None:
    """Describe ``cmd`` if it is a package-manager call we recognise, else ``None``.

    Wrappers are already looked through by :attr:`SimpleCommand.name`
    (``sudo apt-get``, ``env X=1 pip``).  Calls without an action
    (``pip --version``) return ``None``.
    """
    ident = _identify(cmd)
    if ident is None:
        return None
    manager, tool, args = ident
    raw_options, positionals = _scan(args, _VALUE_OPTIONS[manager])
    if not positionals:
        return None
    action = positionals[0]
    rest = positionals[1:]
    if manager == "uv" and action in ("pip", "tool") and rest:
        action = f"{action} {rest[0]}"
        rest = rest[1:]

    requirement_files: list[str] = []
    constraint_files: list[str] = []
    editable: list[str] = []
    option_values: list[tuple[str, str]] = []
    python_like = manager in ("pip", "uv", "pipenv")
    for opt, value in raw_options:
        if value is None:
            continue
        option_values.append((opt, value))
        if python_like and opt in _REQUIREMENT_OPTIONS:
            requirement_files.append(value)
        elif manager in ("pip", "uv") and opt in _CONSTRAINT_OPTIONS:
            constraint_files.append(value)
        elif manager in ("pip", "uv") and opt in _EDITABLE_OPTIONS:
            editable.append(value)

    packages: list[str] = []
    local_paths: list[str] = []
    if action in _PACKAGE_ACTIONS[manager]:
        for word in rest:
            (local_paths if _is_local(manager, word) else packages).append(word)

    return PackageInstall(
        manager=manager,
        tool=tool,
        action=action,
        command=cmd,
        packages=tuple(packages),
        requirement_files=tuple(requirement_files),
        constraint_files=tuple(constraint_files),
        editable=tuple(editable),
        local_paths=tuple(local_paths),
        arguments=tuple(rest),
        options=tuple(opt for opt, _ in raw_options),
        option_values=tuple(option_values),
    )


# Python installers whose calls :func:`package_call` does not describe: what they install, and
# where, is not modelled, so a rule that moves or splits installs must leave a stage with one
# alone. The action words that install (None: any call does).
_UNMODELLED_INSTALLERS: dict[str, frozenset[str] | None] = {
    "pdm": _wordset("install sync add update"),
    "conda": _wordset("install create update env"),
    "mamba": _wordset("install create update env"),
    "micromamba": _wordset("install create update env"),
    "pipx": _wordset("install runpip inject"),
    "hatch": _wordset("env"),
    "rye": _wordset("sync add"),
    "flit": _wordset("install"),
    "pip-sync": None,
    "easy_install": None,
}


def unmodelled_install(words: tuple[str, ...] | list[str]) -> str | None:
    """``pdm install``, ``conda env update``, ``pip-sync`` ...: a Python install dockopt does not model.

    ``words`` is the command's name (wrappers already looked through) and its
    arguments; ``python -m pdm install`` counts too. Returns the words that make
    it one (for messages), else None.
    """
    if not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    args = list(words[1:])
    if _PYTHON_NAME_RE.fullmatch(name) and len(args) >= 2 and args[0] == "-m":
        name, args = args[1], args[2:]
    if name not in _UNMODELLED_INSTALLERS:
        return None
    actions = _UNMODELLED_INSTALLERS[name]
    action = next((a for a in args if not a.startswith("-")), None)
    if actions is None:
        return name
    if action is None:
        return None
    if action in actions or action.startswith("$"):  # `pdm ${INSTALL_COMMAND}`: may be an install
        return f"{name} {action}"
    return None
