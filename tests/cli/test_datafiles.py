"""The shipped tables come parsed from the cache only while their text is unchanged (dockopt.datafiles)."""

from __future__ import annotations

import marshal
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from dockopt import cachefiles, datafiles
from tests.cli.conftest import rewrites_importing_tomllib

NAMES = sorted(p.name for p in Path(datafiles.DATA_DIR).glob("*.toml"))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder and a fresh process state; the tables are copies we may edit."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datafiles, "_cached", None)
    data = tmp_path / "data"
    shutil.copytree(datafiles.DATA_DIR, data)
    monkeypatch.setattr(datafiles, "DATA_DIR", str(data))
    return Path(cachefiles.cache_path("data-tables"))


def test_every_table_parses_as_tomllib_does_first_and_second_time(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(NAMES) >= 7
    expected = {n: tomllib.loads(datafiles.read_text(n)) for n in NAMES}
    assert {n: datafiles.load_table(n) for n in NAMES} == expected
    assert set(marshal.loads(cache.read_bytes())) == set(NAMES)
    monkeypatch.setattr(datafiles, "_cached", None)  # as a new process
    monkeypatch.setitem(sys.modules, "tomllib", None)  # importing it now would fail: all from the cache
    assert {n: datafiles.load_table(n) for n in NAMES} == expected


def test_the_cache_is_what_answers_while_the_text_is_the_same(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Negative control: a changed cached table is returned for the same text, and not once the text changes."""
    datafiles.load_table("slim_images.toml")
    entries = marshal.loads(cache.read_bytes())
    text, table = entries["slim_images.toml"]
    entries["slim_images.toml"] = (text, {**table, "poisoned": True})
    cache.write_bytes(marshal.dumps(entries))
    monkeypatch.setattr(datafiles, "_cached", None)
    assert datafiles.load_table("slim_images.toml")["poisoned"] is True
    target = Path(datafiles.DATA_DIR) / "slim_images.toml"
    target.write_text(text + "\n# edited\n", encoding="utf-8")
    monkeypatch.setattr(datafiles, "_cached", None)
    assert "poisoned" not in datafiles.load_table("slim_images.toml")
    assert marshal.loads(cache.read_bytes())["slim_images.toml"][0] == text + "\n# edited\n"


def test_each_call_gets_its_own_table(cache: Path) -> None:
    first = datafiles.load_table("caches.toml")
    first.clear()
    assert datafiles.load_table("caches.toml") == tomllib.loads(datafiles.read_text("caches.toml"))


@pytest.mark.parametrize("junk", [b"", b"junk", marshal.dumps([1]), marshal.dumps({"caches.toml": "x"})])
def test_a_broken_cache_is_ignored(cache: Path, junk: bytes) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(junk)
    assert datafiles.load_table("caches.toml") == tomllib.loads(datafiles.read_text("caches.toml"))


def test_an_unwritable_cache_folder_only_costs_the_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    monkeypatch.setattr(datafiles, "_cached", None)
    assert datafiles.load_table("caches.toml") == tomllib.loads(datafiles.read_text("caches.toml"))


def test_a_warm_rewrite_imports_no_tomllib(tmp_path: Path) -> None:
    imported, outputs = rewrites_importing_tomllib(tmp_path, tmp_path, 2)
    assert imported == [True, False]
    assert outputs[0] == outputs[1] and outputs[0].startswith(b"FROM ")
