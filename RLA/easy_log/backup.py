"""Code snapshot, git state and environment capture for a run.

The snapshot copies the project's source (``backup_code_by: source``) or a
library folder (``lib``) plus the run file, honouring gitignore-style patterns,
and always leaves out secrets, VCS folders, caches and the database itself.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from RLA.environment import REMOTE_PASSWORD

if TYPE_CHECKING:
    from RLA.config import RLAConfig
    from RLA.db.layout import Database, Item

__all__ = ["ALWAYS_IGNORED", "SnapshotReport", "snapshot_code", "git_state", "requirements", "environment",
           "back_up_run", "redact", "known_secrets"]

#: never copied, whatever the configuration says
ALWAYS_IGNORED = (
    # secrets
    ".env", ".env.*", ".envrc", "*.pem", "*.key", "*.p12", "*.pfx", "*.ppk", "*.jks", "*.keystore", "*.kdbx",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".netrc", "_netrc", ".pgpass", ".pypirc", ".npmrc",
    ".git-credentials", ".htpasswd", ".s3cfg", ".boto", "*credential*", "secrets.*", "*.secret", "*.secrets",
    "client_secret*.json", "*service[-_]account*.json", "*.tfvars", ".aws/", ".ssh/", ".gnupg/", ".docker/",
    ".kube/", ".azure/", ".config/gcloud/", ".huggingface/",
    # version control, caches, environments
    ".git/", ".hg/", ".svn/", "__pycache__/", "*.py[cod]", ".pytest_cache/", ".mypy_cache/",
    ".ruff_cache/", ".ipynb_checkpoints/", ".tox/", ".nox/", ".venv/", "*.egg-info/",
)

#: packages whose versions go into run.json (read from metadata, never imported)
TRACKED_PACKAGES = ("RLA", "numpy", "torch", "tensorflow", "tensorflow-cpu", "gymnasium", "gym",
                    "stable-baselines3", "jax", "pandas", "tensorboardX")


#: a file whose start holds this is a private key, whatever its name
_PRIVATE_KEY_MARK = b"PRIVATE KEY-----"
_REDACTED = b"<redacted by RLA>"


@dataclass
class SnapshotReport:
    copied: List[str] = field(default_factory=list)
    skipped_large: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    #: files left out because they hold a private key, and files copied with a known secret blanked
    skipped_keys: List[str] = field(default_factory=list)
    redacted: List[str] = field(default_factory=list)
    #: the real path of every file looked at, so overlapping backup folders (or the run file inside one) read
    #: it once; another file of the same relative path (a run file outside the project) is still copied
    seen: Set[str] = field(default_factory=set)


def _ignore_spec(patterns: Iterable[str]) -> Any:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def _read_patterns(path: Optional[Path]) -> List[str]:
    if path is None or not path.is_file():
        return []
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def snapshot_code(code_root: Path, dest: Path, *, mode: str, backup_dirs: Sequence[str], lib_dir: str,
                  run_file: Optional[str], ignore_patterns: Sequence[str], ignore_file: Optional[Path],
                  exclude_roots: Sequence[Path], max_file_bytes: int,
                  secrets: Sequence[str] = ()) -> SnapshotReport:
    """Copy the run's code into ``dest``; paths keep their place relative to ``code_root``.

    ``exclude_roots`` (the database and its folders) are pruned wherever they appear. The
    project's ``.gitignore`` and ``ignore_file`` add patterns to ``ignore_patterns``. Files
    holding a private key are left out, and each of ``secrets`` (the remote password) is
    blanked wherever it appears (e.g. in an rla_config.yaml beside the code).
    """
    report = SnapshotReport()
    code_root = code_root.resolve()
    patterns = [*ALWAYS_IGNORED, *_read_patterns(code_root / ".gitignore"),
                *_read_patterns(ignore_file), *ignore_patterns]
    spec = _ignore_spec(patterns)
    excluded = {os.path.realpath(p) for p in exclude_roots}
    hidden = [secret.encode("utf-8") for secret in secrets if secret]

    sources: List[Path] = []
    if mode == "lib":
        if lib_dir:
            sources.append(Path(lib_dir).expanduser())
    else:
        sources.extend(code_root / d for d in backup_dirs)
    for source in sources:
        if not source.exists():
            report.missing.append(str(source))
            continue
        base = code_root if _is_within(source.resolve(), code_root) else source.resolve().parent
        _copy_tree(source.resolve(), base, dest, spec, excluded, max_file_bytes, report, hidden)
    if run_file:
        run_path = Path(run_file).expanduser().resolve()
        if run_path.is_file():
            base = code_root if _is_within(run_path, code_root) else run_path.parent
            _copy_file(run_path, base, dest, spec, max_file_bytes, report, hidden)
        else:
            report.missing.append(str(run_path))
    return report


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _copy_tree(source: Path, base: Path, dest: Path, spec: Any, excluded: set, max_file_bytes: int,
               report: SnapshotReport, secrets: Sequence[bytes]) -> None:
    if source.is_file():
        _copy_file(source, base, dest, spec, max_file_bytes, report, secrets)
        return
    for folder, dir_names, file_names in os.walk(source):
        rel_folder = os.path.relpath(folder, base)
        kept = []
        for name in sorted(dir_names):
            full = os.path.join(folder, name)
            rel = os.path.normpath(os.path.join(rel_folder, name))
            if os.path.realpath(full) in excluded or spec.match_file(rel + "/"):
                continue
            kept.append(name)
        dir_names[:] = kept
        for name in sorted(file_names):
            _copy_file(Path(folder) / name, base, dest, spec, max_file_bytes, report, secrets)


def _copy_file(path: Path, base: Path, dest: Path, spec: Any, max_file_bytes: int,
               report: SnapshotReport, secrets: Sequence[bytes]) -> None:
    rel, real = os.path.relpath(path, base), os.path.realpath(path)
    if real in report.seen or spec.match_file(rel):
        return
    report.seen.add(real)
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            report.skipped_large.append(rel)
            return
        data = path.read_bytes()
    except OSError:
        return
    if _PRIVATE_KEY_MARK in data[:4096]:
        report.skipped_keys.append(rel)
        return
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    clean = redact(data, secrets)
    target.write_bytes(clean)
    shutil.copystat(path, target)
    if clean != data:
        report.redacted.append(rel)
    report.copied.append(rel)


def redact(data: bytes, secrets: Sequence[bytes]) -> bytes:
    """``data`` with every one of ``secrets`` blanked."""
    for secret in secrets:
        data = data.replace(secret, _REDACTED)
    return data


def known_secrets(config: "RLAConfig") -> List[str]:
    """The secrets this process knows and no file may hold: the remote password, from the config
    or the environment, and the alert target (a webhook's URL is its credential)."""

    return [s for s in (config.REMOTE_SETTING.password, REMOTE_PASSWORD.get() or "", config.NOTIFY) if s]


def _repository_root(code_root: Path) -> Optional[Path]:
    """The working tree holding ``code_root``: the nearest folder upwards with a ``.git`` (a folder, or
    the file of a worktree or submodule); found without starting git, so a run outside a
    repository starts none."""
    folder = Path(os.path.abspath(code_root))
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git(root: Path, *args: str) -> Optional[bytes]:
    """The output of ``git <args>`` run in ``root``; ``None`` when git is missing or fails."""
    try:
        done = subprocess.run(["git", *args], cwd=root, stdin=subprocess.DEVNULL, capture_output=True)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(code_root: Path) -> Optional[Dict[str, Any]]:
    """Commit, branch, dirty flag, untracked-file count and the uncommitted diff of the repo holding
    ``code_root`` (``None`` outside a repository).

    Two git commands: ``git status --porcelain=v2 --branch`` says the commit, the branch, whether a
    tracked file differs from the commit (in the index or the working tree) and which files are
    untracked; ``git diff HEAD`` gives the diff. Through GitPython the same took its import (about
    45 ms of CPU) and seven git processes before a run's first row."""
    root = _repository_root(code_root)
    status = None if root is None else _git(root, "status", "--porcelain=v2", "--branch", "--untracked-files=all")
    if root is None or status is None:
        return None
    headers: Dict[str, str] = {}
    dirty, untracked = False, 0
    for line in status.decode("utf-8", errors="replace").splitlines():
        if line.startswith("# "):  # "# branch.oid <commit>|(initial)", "# branch.head <branch>|(detached)"
            key, _, value = line[2:].partition(" ")
            headers[key] = value
        elif line.startswith("? "):
            untracked += 1
        elif line[:2] in ("1 ", "2 ", "u "):  # a tracked file changed, renamed or unmerged
            dirty = True
    commit = headers.get("branch.oid") if headers.get("branch.oid") != "(initial)" else None
    branch = headers.get("branch.head") if headers.get("branch.head") != "(detached)" else None
    diff = (_git(root, "diff", "HEAD") or b"") if commit else b""
    return {"commit": commit, "branch": branch, "dirty": dirty, "untracked": untracked, "root": str(root),
            "diff": diff.decode("utf-8", errors="replace").removesuffix("\n")}


def _normalized(project: str) -> str:
    """A project name as packaging compares them (``Stable_Baselines3`` is ``stable-baselines3``)."""
    return re.sub(r"[-_.]+", "-", project).lower()


def _metadata_name_version(folder: Path, project: str) -> Tuple[str, str]:
    """Name and version from the headers of a metadata folder's METADATA or PKG-INFO (an egg-info may
    also be that file itself). Read as plain ``Key: value`` lines up to the first blank one: the
    email parser importlib.metadata uses costs its imports before a run's first row."""
    headers: Dict[str, str] = {}
    for path in (folder / "METADATA", folder / "PKG-INFO", folder):
        try:
            with open(path, encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    key, colon, value = line.partition(":")
                    if not line.strip() or not colon:
                        break
                    headers.setdefault(key.strip().lower(), value.strip())
        except OSError:  # absent, or a folder
            continue
        break
    return headers.get("name") or project, headers.get("version", "")


def installed_versions() -> Dict[str, Tuple[str, str]]:
    """Every distribution on ``sys.path``: its normalized name -> ``(name, version)``, the first found
    winning as it does for imports.

    Read from the names of the metadata folders installers write (``<name>-<version>.dist-info``,
    ``<name>-<version>[-pyX.Y].egg-info``), a METADATA file only when a folder's name lacks the
    version: parsing every METADATA file takes about half a second in an environment of a few hundred
    packages, which every run would pay before its first row (``bench/first_row.py``).
    """
    found: Dict[str, Tuple[str, str]] = {}
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:  # a zip file, a missing folder
            continue
        for name in names:
            stem, _, kind = name.rpartition(".")
            if kind not in ("dist-info", "egg-info"):
                continue
            project, _, version = stem.partition("-")
            version = version.split("-")[0]
            if not version:  # an editable install's ``RLA.egg-info``, say
                project, version = _metadata_name_version(Path(entry or ".", name), project)
            if project and version:
                found.setdefault(_normalized(project), (project, version))
    return found


def requirements() -> str:
    """``name==version`` of every installed distribution, sorted (a pip freeze without pip)."""
    lines = {f"{name}=={version}" for name, version in installed_versions().values()}
    return "\n".join(sorted(lines, key=str.lower)) + "\n"


def environment() -> Dict[str, Any]:
    """Host, interpreter and versions of the packages RL results depend on."""
    installed = installed_versions()
    packages = {name: installed[_normalized(name)][1] for name in TRACKED_PACKAGES if _normalized(name) in installed}
    return {
        "host": platform.node(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": packages,
    }


def back_up_run(item: "Item", database: "Database", config: "RLAConfig", code_root: Path, run_file: Optional[str],
                ignore_file: Optional[Path], warn: Callable[[str], None]) -> Optional[Dict[str, Any]]:
    """Snapshot the run's code, its ``git diff`` and the installed packages into ``item``'s code folder.

    Returns the git state for run.json (``None`` outside a repository); what
    the snapshot left out is reported through ``warn``.
    """
    backup = config.BACKUP_CONFIG
    secrets = known_secrets(config)
    report = snapshot_code(
        code_root, item.code_dir,
        mode=config.PROJECT_TYPE.backup_code_by,
        backup_dirs=backup.backup_code_dir, lib_dir=backup.lib_dir, run_file=run_file,
        ignore_patterns=backup.ignore_code_paths, ignore_file=ignore_file,
        exclude_roots=[database.root, *database.managed_dirs()],
        max_file_bytes=int(backup.max_file_size_mb * 1024 * 1024), secrets=secrets,
    )
    for missing in report.missing:
        warn(f"RLA backup: {missing} does not exist; check BACKUP_CONFIG in your rla_config.yaml")
    if report.skipped_keys:
        warn("RLA backup: left out files holding a private key: " + ", ".join(report.skipped_keys))
    if report.redacted:
        warn("RLA backup: blanked the remote password in: " + ", ".join(report.redacted))
    if report.skipped_large:
        warn(f"RLA backup: left out files over {backup.max_file_size_mb} MB: " + ", ".join(report.skipped_large))
    state = git_state(code_root)
    if state is not None:
        hidden = [secret.encode("utf-8") for secret in secrets]
        item.code.git_diff.write_bytes(redact(state.pop("diff").encode("utf-8", errors="replace"), hidden))
    item.code.requirements_txt.write_text(requirements(), encoding="utf-8")
    return state
