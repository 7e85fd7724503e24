"""The lock file (requirements.lock, written by `make lock`) against what is installed: a fresh install must be
exactly the lock, so a release next year builds with the libraries this one was built with.

`python -m pipeline.run.lockfile [--exact] [LOCK]` prints every difference and exits 1 when there is one;
`--exact` also reports packages installed beyond the lock (a fresh venv has none but the project and pip).
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements.lock"
PROJECT = "fzzf-reports"
INSTALLER_TOOLS = {"pip", "setuptools", "wheel"}  # the venv's own, not the project's dependencies


def lock_requirements(path: Path = LOCK_FILE) -> list[Requirement]:
    """Every pinned requirement of the lock, hashes and comments dropped, continuation lines joined."""
    logical = path.read_text(encoding="utf-8").replace("\\\n", " ")
    requirements = []
    for line in logical.splitlines():
        spec = line.split("#", 1)[0].split("--hash", 1)[0].strip()
        if spec:
            requirements.append(Requirement(spec))
    return requirements


def locked_versions(path: Path = LOCK_FILE) -> dict[str, str]:
    """{canonical name: pinned version} of the lock's packages that apply to this interpreter and platform."""
    pins = {}
    for req in lock_requirements(path):
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def installed_versions() -> dict[str, str]:
    """{canonical name: version} of every distribution in this environment."""
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}


def lock_mismatches(locked: dict[str, str], installed: dict[str, str], exact: bool = False) -> list[str]:
    """One line per locked package missing or at another version; with `exact`, also per extra package."""
    problems = [f"{name}: locked {version}, installed {installed.get(name, 'nothing')}"
                for name, version in sorted(locked.items()) if installed.get(name) != version]
    if exact:
        extra = set(installed) - set(locked) - INSTALLER_TOOLS - {PROJECT}
        problems += [f"{name}: installed {installed[name]}, not in the lock" for name in sorted(extra)]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Print the differences between the lock and this environment; exit 1 when there are any."""
    p = argparse.ArgumentParser(prog="python -m pipeline.run.lockfile", description=__doc__.splitlines()[0])
    p.add_argument("lock", nargs="?", type=Path, default=LOCK_FILE)
    p.add_argument("--exact", action="store_true", help="also fail on packages installed beyond the lock")
    args = p.parse_args(argv)
    problems = lock_mismatches(locked_versions(args.lock), installed_versions(), args.exact)
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{len(problems)} differences between {args.lock.name} and this environment", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
