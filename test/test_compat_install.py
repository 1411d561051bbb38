"""Installing as RLA 0.6 users were told: ``python setup.py install`` in a clone, or ``pip install -e .``.

Each install goes into a throw-away venv that sees the test environment's packages (a ``.pth`` line,
so nothing is downloaded and ``--no-deps`` suffices), and is then used from another folder with no
PYTHONPATH: ``rla --help``, ``import RLA`` and a 0.6 script module must come from that install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO_ROOT

SKIP_IN_COPY = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "demo_data",
                                      ".pytest_cache")


def make_venv(where: Path) -> Path:
    """A venv whose interpreter also finds this environment's packages (setuptools, click, numpy, ...)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(where)],
                   check=True, capture_output=True, timeout=120)
    python = where / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def run(args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def check_installed(python: Path, elsewhere: Path, expected_root: Path) -> None:
    help_text = run([python.parent / "rla", "--help"], elsewhere).stdout
    assert "Usage: rla" in help_text and " ls " in help_text
    where = run([python, "-c", "import RLA, rla_scripts.view_expt as v; from RLA import exp_manager, plot_func; "
                 "print(RLA.__file__); print(v.__file__)"], elsewhere).stdout.split()
    assert all(Path(path).resolve().is_relative_to(expected_root.resolve()) for path in where), where
    assert (Path(where[0]).parent / "py.typed").is_file()


def test_python_setup_py_install_in_a_clone(tmp_path: Path):
    clone = tmp_path / "RLAssistant"
    shutil.copytree(REPO_ROOT, clone, ignore=SKIP_IN_COPY)
    python = make_venv(tmp_path / "venv")
    run([python, "setup.py", "install"], clone)
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path).stdout.strip()
    check_installed(python, tmp_path, Path(site))
    assert (Path(site) / "RLA" / "templates").is_dir() and (Path(site) / "RLA" / "ui" / "static").is_dir()


def test_pip_install_editable(tmp_path: Path):
    clone = tmp_path / "RLAssistant"
    shutil.copytree(REPO_ROOT, clone, ignore=SKIP_IN_COPY)
    python = make_venv(tmp_path / "venv")
    built = run([python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-v", "-e", clone],
                tmp_path)
    assert "deprecated" not in built.stdout + built.stderr  # e.g. setuptools' warning of a TOML table as license
    check_installed(python, tmp_path, clone)
    (clone / "RLA" / "added_after_install.py").write_text("VALUE = 42\n")  # editable: the clone is the package
    assert run([python, "-c", "from RLA.added_after_install import VALUE; print(VALUE)"], tmp_path).stdout == "42\n"


@pytest.fixture(autouse=True)
def _needs_setuptools():
    """The installs build with this environment's setuptools (no build isolation): fail, saying so, without it."""
    try:
        import setuptools  # noqa: F401
    except ImportError:
        pytest.fail("setuptools must be installed in the test environment (it is a dev dependency)")
