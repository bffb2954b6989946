"""pip's options that take a value, as dockopt reads them, against pip's own option parser.

An option dockopt does not know takes a value has that value read as a
package (``pip install --default-timeout 100 flask`` installing "100"); one it
wrongly thinks takes a value swallows a package. The table is held to the pip
this test runs with (its parser, ``optparse``'s ``takes_value``), and to pip
26.3's, recorded below from its parser so a CI machine with an older pip checks
the newer options too.
"""

from __future__ import annotations

import pytest

from dockopt.model.packages import _VALUE_OPTIONS, package_call
from dockopt.model.shell import parse_command

#: pip 26.3, install/download/wheel/uninstall: the options that take a value.
PIP_26_3_VALUE_OPTIONS = frozenset(
    [
        "--abi",
        "--all-releases",
        "--build-constraint",
        "--cache-dir",
        "--cert",
        "--client-cert",
        "--config-settings",
        "--constraint",
        "--default-timeout",
        "--dest",
        "--destination-dir",
        "--destination-directory",
        "--editable",
        "--exists-action",
        "--extra-index-url",
        "--find-links",
        "--group",
        "--implementation",
        "--index-url",
        "--keyring-provider",
        "--local-log",
        "--log",
        "--log-file",
        "--no-binary",
        "--only-binary",
        "--only-final",
        "--platform",
        "--prefix",
        "--progress-bar",
        "--proxy",
        "--pypi-url",
        "--python",
        "--python-version",
        "--refresh-package",
        "--report",
        "--requirement",
        "--requirements-from-script",
        "--resume-retries",
        "--retries",
        "--root",
        "--root-user-action",
        "--source",
        "--source-dir",
        "--source-directory",
        "--src",
        "--target",
        "--timeout",
        "--trusted-host",
        "--upgrade-strategy",
        "--uploaded-prior-to",
        "--use-deprecated",
        "--use-feature",
        "--wheel-dir",
        "-C",
        "-c",
        "-d",
        "-e",
        "-f",
        "-i",
        "-r",
        "-t",
        "-w",
    ]
)
#: ... and the flags (no value).
PIP_26_3_FLAGS = frozenset(
    [
        "--break-system-packages",
        "--check-build-dependencies",
        "--compile",
        "--debug",
        "--disable-pip-version-check",
        "--dry-run",
        "--force-reinstall",
        "--help",
        "--ignore-installed",
        "--ignore-requires-python",
        "--isolated",
        "--no-build-isolation",
        "--no-cache-dir",
        "--no-clean",
        "--no-color",
        "--no-compile",
        "--no-dependencies",
        "--no-deps",
        "--no-index",
        "--no-input",
        "--no-proxy-env",
        "--no-python-version-warning",
        "--no-require-hashes",
        "--no-user",
        "--no-verify",
        "--no-warn-conflicts",
        "--no-warn-script-location",
        "--only-dependencies",
        "--only-deps",
        "--pre",
        "--prefer-binary",
        "--quiet",
        "--require-hashes",
        "--require-venv",
        "--require-virtualenv",
        "--upgrade",
        "--use-pep517",
        "--user",
        "--verbose",
        "--yes",
        "-I",
        "-U",
        "-h",
        "-q",
        "-v",
        "-y",
    ]
)


def _installed_pip() -> tuple[set[str], set[str]]:
    commands = pytest.importorskip("pip._internal.commands")
    takes: set[str] = set()
    flags: set[str] = set()
    for name in ("install", "download", "wheel", "uninstall"):
        for opt in commands.create_command(name).parser._get_all_options():
            for spelled in opt._short_opts + opt._long_opts:
                (takes if opt.takes_value() else flags).add(spelled)
    return takes, flags - takes


def test_every_value_option_of_the_installed_pip_is_known() -> None:
    takes, flags = _installed_pip()
    assert takes - _VALUE_OPTIONS["pip"] == set()
    assert _VALUE_OPTIONS["pip"] & flags == set()


def test_every_value_option_of_pip_26_3_is_known() -> None:
    assert PIP_26_3_VALUE_OPTIONS - _VALUE_OPTIONS["pip"] == set()
    assert _VALUE_OPTIONS["pip"] & PIP_26_3_FLAGS == set()


@pytest.mark.parametrize(
    ("line", "packages"),
    [
        ("pip install --default-timeout 100 flask", ("flask",)),  # 100 is the option's value
        ("pip install --build-option --cpp_ext apex", ("apex",)),
        ("pip install --no-deps --pre flask", ("flask",)),  # control: flags take nothing
    ],
)
def test_a_value_is_not_a_package(line: str, packages: tuple[str, ...]) -> None:
    call = package_call(parse_command(line).items[0])
    assert call is not None
    assert call.packages == packages
