"""The dataclass code cache (dockopt.classcache) gives the same classes, is really used, and fails soft."""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path

from dockopt.classcache import CachedClasses

# Defines dataclasses of every kind dockopt uses (frozen, defaults, factories, kw_only,
# slots, order) and prints each generated method's code, as marshal sees it.
MODULE = '''
from __future__ import annotations
from dataclasses import dataclass, field

@dataclass(frozen=True)
class Frozen:
    a: int
    b: str = "x"
    c: tuple[int, ...] = ()

@dataclass
class Plain:
    items: list[int] = field(default_factory=list)
    name: str | None = None

@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Sorted:
    x: int
    y: int = 0
'''

PROBE = r"""
import importlib, marshal, sys
sys.path.insert(0, sys.argv[2])
from dockopt.classcache import CachedClasses
with CachedClasses(sys.argv[1]) as rec:
    mod = importlib.import_module("probe")
methods = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__")
out = {}
for cls in (mod.Frozen, mod.Plain, mod.Sorted):
    for name in methods:
        fn = cls.__dict__.get(name)
        code = getattr(getattr(fn, "__wrapped__", fn), "__code__", None)
        if code is not None:
            out[f"{cls.__name__}.{name}"] = marshal.dumps(code).hex()
f = mod.Frozen(1)
assert repr(f) == "Frozen(a=1, b='x', c=())" and f == mod.Frozen(1, "x") and hash(f) == hash(mod.Frozen(1))
assert mod.Sorted(x=1) < mod.Sorted(x=2)
try:
    f.a = 2
except Exception as exc:
    assert type(exc).__name__ == "FrozenInstanceError"
else:
    raise AssertionError("frozen")
print(rec.compiled, len(rec.used))
print(repr(out))
"""


def _probe(cache: Path, folder: Path) -> tuple[int, int, str]:
    (folder / "probe.py").write_text(MODULE)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(cache), str(folder)], capture_output=True, text=True, check=True
    )
    counts, methods = proc.stdout.splitlines()
    compiled, used = map(int, counts.split())
    return compiled, used, methods


def _plain_methods(folder: Path) -> str:
    """The same classes made by dataclasses alone, in a fresh process."""
    (folder / "probe.py").write_text(MODULE)
    code = PROBE.replace("with CachedClasses(sys.argv[1]) as rec:", "if True:").replace(
        "print(rec.compiled, len(rec.used))", "print(0, 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code, "-", str(folder)], capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()[1]


def test_second_run_compiles_nothing_and_builds_the_same_code(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "code.marshal"
    first = _probe(cache, tmp_path)
    assert first[0] == first[1] > 10  # everything compiled on the first run, and kept
    assert cache.is_file()
    second = _probe(cache, tmp_path)
    assert second[0] == 0 and second[1] == first[1]  # all from the cache
    assert first[2] == second[2] == _plain_methods(tmp_path)  # byte-identical code objects


def test_the_cache_is_what_runs(tmp_path: Path) -> None:
    """Negative control: a cache entry whose code differs changes the class, so the entries are really used."""
    cache = tmp_path / "code.marshal"
    _probe(cache, tmp_path)
    entries = marshal.loads(cache.read_bytes())
    body = "return self.__class__.__qualname__"
    reprs = [s for s in entries if body in s]
    assert reprs
    for source in reprs:
        entries[source] = compile(source.replace(body, "return 'poisoned ' + self.__class__.__qualname__"), "<string>", "exec")
    cache.write_bytes(marshal.dumps(entries))
    (tmp_path / "probe.py").write_text(MODULE)
    code = (
        "import sys; sys.path.insert(0, sys.argv[2])\nfrom dockopt.classcache import CachedClasses\n"
        "with CachedClasses(sys.argv[1]):\n    import probe\n"
        "print(repr(probe.Frozen(1)), repr(probe.Plain()), repr(probe.Sorted(x=1)))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(cache), str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.count("poisoned ") == 3


def test_a_broken_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    cache = tmp_path / "code.marshal"
    for junk in (b"", b"not marshal at all", marshal.dumps([1, 2, 3]), marshal.dumps({"a": 1, 2: "b"})):
        cache.write_bytes(junk)
        compiled, used, _ = _probe(cache, tmp_path)
        assert compiled == used > 10
        assert isinstance(marshal.loads(cache.read_bytes()), dict)


def test_an_unwritable_cache_only_costs_the_compiles(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    compiled, used, _ = _probe(blocker / "sub" / "code.marshal", tmp_path)
    assert compiled == used > 10


def test_exec_is_restored(tmp_path: Path) -> None:
    import dataclasses

    with CachedClasses(str(tmp_path / "c.marshal")):
        assert "exec" in vars(dataclasses)
    assert "exec" not in vars(dataclasses)
    assert not (tmp_path / "c.marshal").exists()  # nothing defined, nothing written


def test_the_console_script_uses_the_cache(tmp_path: Path) -> None:
    """`dockopt rewrite -` writes the cache on its first run and compiles nothing on the second."""
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    code = (
        "import sys, dockopt.classcache as cc\n"
        "orig = cc._Recorder.__init__\n"
        "def init(self, known):\n    orig(self, known)\n    cc.LAST = self\n"
        "cc._Recorder.__init__ = init\n"
        "from dockopt.entry import main\nsys.argv = ['dockopt', 'rewrite', '-']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(cc.LAST.compiled, len(cc.LAST.used), file=sys.stderr)"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], input=b"FROM a\n", capture_output=True, env=env, check=True)
        for _ in range(2)
    ]
    first, second = (tuple(map(int, r.stderr.split()[-2:])) for r in runs)
    assert first[0] == first[1] > 100
    assert second == (0, first[1])
