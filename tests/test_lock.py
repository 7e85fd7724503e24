"""requirements.lock pins every dependency of pyproject.toml, and this environment was installed from it."""

import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pipeline.run.lockfile import LOCK_FILE, installed_versions, lock_mismatches, lock_requirements, locked_versions

PYPROJECT = LOCK_FILE.parent / "pyproject.toml"


def declared_requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    extras = [spec for specs in project.get("optional-dependencies", {}).values() for spec in specs]
    return [Requirement(spec) for spec in project["dependencies"] + extras]


def test_every_declared_dependency_is_locked_within_its_range():
    pins = {canonicalize_name(r.name): next(iter(r.specifier)).version for r in lock_requirements()}
    for req in declared_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, pyproject.toml asks {req}: run `make lock`")


def test_every_locked_package_is_pinned_exactly_and_hashed():
    text = LOCK_FILE.read_text(encoding="utf-8")
    requirements = lock_requirements()
    assert len(requirements) > 50
    for req in requirements:
        (spec,) = req.specifier
        assert spec.operator == "==", req
    entries = [block for block in text.replace("\\\n", " ").splitlines() if block and not block.startswith(" ")
               and not block.startswith("#")]
    assert all("--hash=sha256:" in entry for entry in entries)


def test_this_environment_has_the_locked_versions():
    problems = lock_mismatches(locked_versions(), installed_versions())
    assert not problems, "the venv is not the lock (run `make venv`): " + "; ".join(problems)


def test_markers_of_other_platforms_are_left_out(tmp_path: Path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# header\nalpha==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via beta\n"
                    "gamma==2.0 ; sys_platform == 'nowhere' \\\n    --hash=sha256:cc\n", encoding="utf-8")
    assert locked_versions(lock) == {"alpha": "1.0"}


def test_mismatches_name_missing_other_and_extra_packages():
    locked = {"alpha": "1.0", "beta": "2.0", "gamma": "3.0"}
    installed = {"alpha": "1.0", "beta": "2.1", "delta": "4.0", "pip": "24.0", "fzzf-reports": "0.1.0"}
    assert lock_mismatches(locked, installed) == ["beta: locked 2.0, installed 2.1",
                                                  "gamma: locked 3.0, installed nothing"]
    assert lock_mismatches(locked, installed, exact=True)[-1] == "delta: installed 4.0, not in the lock"
    assert len(lock_mismatches(locked, installed, exact=True)) == 3


def make_dry_run(*args: str) -> str:
    return subprocess.run(["make", "-n", *args], cwd=LOCK_FILE.parent, capture_output=True, text=True,
                          check=True).stdout


def test_a_changed_lock_reinstalls_the_venv_from_it_hash_checked():
    commands = make_dry_run("-W", LOCK_FILE.name, "venv")  # as if the lock had just changed
    assert f"--require-hashes --no-deps -r {LOCK_FILE.name}" in commands
    assert "--no-deps -e ." in commands


def test_make_lock_pins_and_hashes_for_every_platform():
    commands = make_dry_run("lock")
    assert "uv pip compile pyproject.toml --all-extras --universal" in commands
    assert "--generate-hashes" in commands and f"-o {LOCK_FILE.name}" in commands
