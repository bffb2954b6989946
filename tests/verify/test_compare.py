"""The comparisons of dockopt verify, fed planted differences and their negative controls (no engine)."""

from __future__ import annotations

from dockopt.verify.compare import (
    compare_config,
    compare_distributions,
    compare_entrypoint,
    compare_files,
    compare_imports,
    compare_smoke,
    installer_only,
    modules_to_import,
)
from dockopt.verify.imagefs import Executable, FileEntry
from dockopt.verify.probe import Distribution, ProbeResult


def probe(*dists: Distribution, imports: dict[str, str | None] | None = None) -> ProbeResult:
    return ProbeResult(
        python="/usr/local/bin/python",
        version="3.12.1",
        distributions={d.name.lower(): d for d in dists},
        imports=imports or {},
    )


FLASK = Distribution("flask", "3.0.0", ("flask",), ("werkzeug",))
WERKZEUG = Distribution("werkzeug", "3.0.1", ("werkzeug",))
PSYCOPG2 = Distribution("psycopg2", "2.9.10", ("psycopg2",))
PIP = Distribution("pip", "24.0", ("pip",))


# -- distributions ------------------------------------------------------------------------------


def test_same_distributions_pass_and_pip_is_aside() -> None:
    check = compare_distributions(probe(FLASK, WERKZEUG, PIP), probe(FLASK, WERKZEUG, Distribution("pip", "25.0")))
    assert check.ok is True, check


def test_missing_added_and_changed_versions_are_named() -> None:
    before = probe(FLASK, WERKZEUG, PSYCOPG2)
    after = probe(Distribution("flask", "3.0.1", ("flask",)), WERKZEUG, Distribution("gunicorn", "22.0"))
    check = compare_distributions(before, after)
    assert check.ok is False
    text = "\n".join(check.differences)
    assert "flask: 3.0.0 in the original, 3.0.1 in the rewrite" in text
    assert "psycopg2 2.9.10: in the original, missing in the rewrite" in text
    assert "gunicorn 22.0: in the rewrite, not in the original" in text
    assert "werkzeug" not in text


def test_installer_dropped_with_what_only_it_needs_is_aside() -> None:
    poetry = Distribution("poetry", "1.8.0", ("poetry",), ("cleo", "requests"))
    cleo = Distribution("cleo", "2.1", ("cleo",))
    requests = Distribution("requests", "2.32", ("requests",))
    app = Distribution("app-dep", "1.0", ("app_dep",), ("requests",))
    before = probe(poetry, cleo, requests, app)
    assert installer_only(before.distributions) == {"poetry", "cleo"}
    assert compare_distributions(before, probe(requests, app)).ok is True
    # Negative control: requests is needed by the app too, so losing it is a difference.
    lost = compare_distributions(before, probe(app))
    assert lost.ok is False and any("requests" in d for d in lost.differences)
    assert modules_to_import(before) == ["app_dep", "requests"]


def test_no_python_in_the_original_cannot_check_and_in_the_rewrite_fails() -> None:
    none = ProbeResult(python=None, error="no python in the image")
    assert compare_distributions(none, probe(FLASK)).ok is None
    assert "cannot check distributions: no python in the image" in compare_distributions(none, none).detail
    assert compare_distributions(probe(FLASK), none).ok is False
    assert compare_imports(none, none, []).ok is None


# -- imports -------------------------------------------------------------------------------------


def test_import_failing_only_in_the_rewrite_names_the_module() -> None:
    before = probe(PSYCOPG2, FLASK, imports={"psycopg2": None, "flask": None})
    error = "ImportError: libpq.so.5: cannot open shared object file: No such file or directory"
    after = probe(PSYCOPG2, FLASK, imports={"psycopg2": error, "flask": None})
    check = compare_imports(before, after, ["flask", "psycopg2"])
    assert check.ok is False
    assert check.differences == (f"psycopg2: imports in the original, fails in the rewrite: {error}",)
    # Negative control: the same failure in both images is not the rewrite's doing.
    both = probe(PSYCOPG2, imports={"psycopg2": error})
    assert compare_imports(both, both, ["psycopg2"]).ok is True


# -- config --------------------------------------------------------------------------------------

BASE = {
    "Entrypoint": None,
    "Cmd": ["python", "app.py"],
    "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "APP_MODE=prod"],
    "User": "",
    "WorkingDir": "/app",
    "ExposedPorts": {"8000/tcp": {}},
    "Labels": {"dockopt.recipe": "abc", "dockopt.base": "x", "team": "web"},
}


def test_same_config_with_venv_on_path_passes() -> None:
    after = dict(BASE, Env=["PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "APP_MODE=prod", "VIRTUAL_ENV=/opt/venv"])
    # The slim base lacks the full base's dockopt.base label: inherited labels are not the Dockerfile's.
    after["Labels"] = {"dockopt.recipe": "abc", "team": "web"}
    check = compare_config(
        BASE, after, before_base_labels={"dockopt.recipe": "abc", "dockopt.base": "x"}, after_base_labels={"dockopt.recipe": "abc"}
    )
    assert check.ok is True, check


def test_dropped_env_and_changed_cmd_are_named() -> None:
    after = dict(BASE, Env=["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"], Cmd=["python", "main.py"])
    check = compare_config(BASE, after)
    assert check.ok is False
    assert any(d.startswith("Env APP_MODE:") and "missing in the rewrite" in d for d in check.differences)
    assert any(d.startswith("Cmd:") for d in check.differences)


def test_path_losing_an_entry_or_reordered_is_a_difference() -> None:
    after = dict(BASE, Env=["PATH=/opt/venv/bin:/usr/bin:/bin", "LANG=C.UTF-8", "APP_MODE=prod"])
    assert compare_config(BASE, after).ok is False
    swapped = dict(BASE, Env=["PATH=/usr/bin:/usr/local/bin:/bin", "LANG=C.UTF-8", "APP_MODE=prod"])
    assert compare_config(BASE, swapped).ok is False


def test_added_env_user_label_are_differences() -> None:
    for key, value in (("User", "app"), ("Labels", {**BASE["Labels"], "team": "ops"}), ("Healthcheck", {"Test": ["NONE"]})):
        check = compare_config(BASE, dict(BASE, **{key: value}))
        assert check.ok is False, key
        assert check.differences[0].startswith(key), check.differences
    added = dict(BASE, Env=[*BASE["Env"], "PYTHONUNBUFFERED=1"])
    assert compare_config(BASE, added).differences == ("Env PYTHONUNBUFFERED: added by the rewrite ('1')",)


# -- entrypoint ----------------------------------------------------------------------------------


def exe(name: str, path: str | None, executable: bool = True) -> Executable:
    return Executable(name=name, path=path, executable=executable)


def test_entrypoint_resolving_in_both_passes_and_lost_one_fails() -> None:
    names = ["gunicorn"]
    assert compare_entrypoint(names, [exe("gunicorn", "/usr/local/bin/gunicorn")], [exe("gunicorn", "/opt/venv/bin/gunicorn")]).ok
    lost = compare_entrypoint(names, [exe("gunicorn", "/usr/local/bin/gunicorn")], [exe("gunicorn", None)])
    assert lost.ok is False and "gunicorn" in lost.differences[0]
    not_x = compare_entrypoint(names, [exe("gunicorn", "/usr/local/bin/gunicorn")], [exe("gunicorn", "/app/gunicorn", False)])
    assert not_x.ok is False
    # Not resolving in the original either: nothing to hold the rewrite to.
    assert compare_entrypoint(names, [exe("gunicorn", None)], [exe("gunicorn", None)]).ok is None
    assert compare_entrypoint([], [], []).ok is None


# -- files ---------------------------------------------------------------------------------------


def f(digest: str, mode: int = 0o644, uid: int = 0) -> FileEntry:
    return FileEntry("f", mode, uid, uid, digest)


def test_files_same_pass_pyc_and_venv_contents_aside() -> None:
    before = {"app.py": f("a"), "__pycache__/app.cpython-312.pyc": f("x"), ".venv/pyvenv.cfg": f("v"), ".venv/lib/x.py": f("1")}
    after = {"app.py": f("a"), ".venv/pyvenv.cfg": f("v"), ".venv/lib/x.py": f("2")}
    assert compare_files("/app", "/app", before, after).ok is True


def test_files_missing_changed_mode_owner_and_lost_venv_fail() -> None:
    before = {"app.py": f("a"), "run.sh": f("s", 0o755), "data": f("d", uid=1000), ".venv/pyvenv.cfg": f("v")}
    after = {"app.py": f("b"), "run.sh": f("s", 0o644), "data": f("d", uid=0), "extra.txt": f("e")}
    check = compare_files("/app", "/app", before, after)
    assert check.ok is False
    text = "\n".join(check.differences)
    for expected in ("app.py: content differs", "run.sh: mode 0755", "data: owner 1000:1000", "extra.txt: in the rewrite",
                     ".venv/: a virtualenv in the original, missing in the rewrite"):
        assert expected in text, text
    assert compare_files("/", "/", {}, {}).ok is None
    assert compare_files("/app", "/app", before, None).ok is False


# -- smoke ---------------------------------------------------------------------------------------


def test_smoke_compares_exit_code_and_stdout() -> None:
    argv = ["python", "app.py"]
    assert compare_smoke(argv, (0, "ok\n"), (0, "ok")).ok is True
    assert compare_smoke(argv, (0, "ok"), (1, "ok")).ok is False
    changed = compare_smoke(argv, (0, "a\nb"), (0, "a\nc"))
    assert changed.ok is False and "stdout line 2" in changed.differences[0]
    assert compare_smoke([], None, None).ok is None


def test_installer_closure_follows_extras_but_never_a_requested_or_differently_installed_dist() -> None:
    poetry = Distribution("poetry", "2.0", ("poetry",), ("pbs-installer",), installer="pip", requested=True)
    pbs = Distribution("pbs-installer", "1.0", ("pbs_installer",), (), ("httpx",), installer="pip")
    httpx = Distribution("httpx", "0.28", ("httpx",), installer="pip")
    assert installer_only({d.name: d for d in (poetry, pbs, httpx)}) == {"poetry", "pbs-installer", "httpx"}
    # The app asked for httpx by name (pip's REQUESTED): losing it is the app's loss.
    asked = Distribution("httpx", "0.28", ("httpx",), installer="pip", requested=True)
    assert installer_only({d.name: d for d in (poetry, pbs, asked)}) == {"poetry", "pbs-installer"}
    # Installed by uv for the app, not by the pip that installed the tool.
    by_uv = Distribution("httpx", "0.28", ("httpx",), installer="uv")
    assert "httpx" not in installer_only({d.name: d for d in (poetry, pbs, by_uv)})
    # Needed only through someone else's extra: still the tool's.
    other = Distribution("app-lib", "1.0", ("app_lib",), (), ("httpx",), installer="pip", requested=True)
    assert "httpx" in installer_only({d.name: d for d in (poetry, pbs, httpx, other)})


def test_what_only_wheel_needs_is_aside_but_not_what_the_app_needs() -> None:
    wheel = Distribution("wheel", "0.46.1", ("wheel",), ("packaging",), installer="pip", requested=True)
    packaging = Distribution("packaging", "25.0", ("packaging",), installer="pip")
    app = Distribution("yt-dlp", "2025.1", ("yt_dlp",), installer="pip", requested=True)
    before = probe(wheel, packaging, app)
    check = compare_distributions(before, probe(app))
    assert check.ok is True and "packaging" in check.detail, check
    assert modules_to_import(before) == ["yt_dlp"]
    # Negative control: once the app needs packaging, losing it is a difference.
    needy = Distribution("yt-dlp", "2025.1", ("yt_dlp",), ("packaging",), installer="pip", requested=True)
    lost = compare_distributions(probe(wheel, packaging, needy), probe(needy))
    assert lost.ok is False and "packaging" in lost.differences[0]


def test_final_base_reads_global_args_as_the_model_does() -> None:
    from dockopt.verify.build import final_base

    assert final_base('ARG V="3.12"\nFROM python:${V}-slim\n') == "python:3.12-slim"
    assert final_base("ARG V=3.12\nARG T=python:$V\nFROM $T AS base\nFROM base\n") == "python:3.12"
    assert final_base("ARG V=3.11\nFROM python:${V:-3.12}\n") == "python:3.11"
    # negative controls: a value nobody set, scratch, text that does not parse
    assert final_base("ARG V\nFROM python:$V\n") is None
    assert final_base("FROM python:$UNSET\n") is None
    assert final_base("FROM scratch\n") is None
    assert final_base("FROM\n") is None
