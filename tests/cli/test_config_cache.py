"""Config files come parsed from the cache only while their text is unchanged (config._read_toml)."""

from __future__ import annotations

import marshal
import sys
import tomllib
from pathlib import Path

import pytest

from dockopt import cachefiles, config
from dockopt.config import Config, ConfigError, load
from tests.cli.conftest import rewrites_importing_tomllib

TEXT = 'unsafe = true\nselect = ["DO001", "DO002"]\nexclude = ["vendor/**"]\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder; the path of the config cache file in it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return Path(cachefiles.cache_path("config-tables"))


def test_a_config_read_again_comes_from_the_cache_without_tomllib(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".dockopt.toml").write_text(TEXT)
    first = load(tmp_path / ".dockopt.toml")
    assert marshal.loads(cache.read_bytes()) == {TEXT: tomllib.loads(TEXT)}
    monkeypatch.setitem(sys.modules, "tomllib", None)  # importing it now would fail: all from the cache
    again = load(tmp_path / ".dockopt.toml")
    assert again == first and again.select == ("DO001", "DO002") and again.unsafe is True


def test_the_cache_is_what_answers_while_the_text_is_the_same(cache: Path, tmp_path: Path) -> None:
    """Negative control: a poisoned entry answers for its exact text, and not once the file changes."""
    path = tmp_path / ".dockopt.toml"
    path.write_text(TEXT)
    load(path)
    cache.write_bytes(marshal.dumps({TEXT: {"unsafe": False}}))
    assert load(path) == Config(path=path)
    path.write_text(TEXT + "# edited\n")
    assert load(path).unsafe is True
    assert set(marshal.loads(cache.read_bytes())) == {TEXT, TEXT + "# edited\n"}


def test_a_pyproject_table_is_kept_too(cache: Path, tmp_path: Path) -> None:
    text = '[project]\nname = "dockopt-user"\n\n[tool.dockopt]\nignore = ["DO003"]\n'
    (tmp_path / "pyproject.toml").write_text(text)
    assert load(tmp_path / "pyproject.toml").ignore == ("DO003",)
    assert load(tmp_path / "pyproject.toml").ignore == ("DO003",)
    assert list(marshal.loads(cache.read_bytes())) == [text]


def test_invalid_toml_is_an_error_each_time_and_never_kept(cache: Path, tmp_path: Path) -> None:
    (tmp_path / ".dockopt.toml").write_text("unsafe = \n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"\.dockopt\.toml: invalid TOML: "):
            load(tmp_path / ".dockopt.toml")
    assert not cache.exists()


def test_a_toml_date_cannot_be_kept_and_is_parsed_each_time(cache: Path, tmp_path: Path) -> None:
    (tmp_path / ".dockopt.toml").write_text("unsafe = 1979-05-27\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match="unsafe must be true or false"):
            load(tmp_path / ".dockopt.toml")
    assert not cache.exists()


def test_the_cache_keeps_the_latest_texts_only(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / ".dockopt.toml"
    texts = [f"large_file_threshold = {n + 1}\n" for n in range(config._CACHE_KEEP + 3)]
    for text in texts:
        path.write_text(text)
        load(path)
    assert list(marshal.loads(cache.read_bytes())) == texts[-config._CACHE_KEEP :]


@pytest.mark.parametrize("junk", [b"", b"junk", marshal.dumps([1]), marshal.dumps({TEXT: "x", 3: {}})])
def test_a_broken_cache_is_ignored(cache: Path, tmp_path: Path, junk: bytes) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(junk)
    (tmp_path / ".dockopt.toml").write_text(TEXT)
    assert load(tmp_path / ".dockopt.toml").unsafe is True
    assert marshal.loads(cache.read_bytes())[TEXT] == tomllib.loads(TEXT)


def test_a_warm_rewrite_with_a_config_imports_no_tomllib(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n\n[tool.dockopt]\nignore = ["DO003"]\n')
    imported, outputs = rewrites_importing_tomllib(tmp_path, tmp_path / "cache", 3)
    assert imported == [True, False, False]  # the first run fills the data tables' cache and the config's
    assert outputs[0] == outputs[1] == outputs[2] and outputs[0].startswith(b"FROM ")
