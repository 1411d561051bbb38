"""The code snapshot: what a run copies, what it always leaves out, and its git state."""
import json
import subprocess

from RLA import exp_manager


def git(project, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=project,
                   check=True, capture_output=True)


def make_project(root):
    files = {
        "main.py": "print('train')\n",
        "src/agent.py": "class Agent: ...\n",
        "src/utils/helper.py": "def helper(): ...\n",
        "src/__pycache__/agent.cpython-311.pyc": "bytecode",
        "src/.env": "WANDB_API_KEY=secret\n",
        "src/server.pem": "-----BEGIN PRIVATE KEY-----\n",
        "src/deploy.key": "secret\n",
        "src/id_rsa": "secret\n",
        "src/id_rsa.pub": "ssh-rsa AAAA\n",
        "src/aws_credentials.json": "{}\n",
        "src/.git/config": "[core]\n",
        "src/data/replay.npy": "0" * 10,
        "src/notes.log": "scratch\n",
        "src/model.ckpt": "weights\n",
        "src/big.bin": "0" * 3_000_000,
        ".gitignore": "*.ckpt\n",
        "ignore.txt": "*.log\n",
    }
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def test_snapshot_copies_sources_and_leaves_out_secrets_caches_vcs_and_the_database(tmp_path):
    project = tmp_path / "project"
    make_project(project)
    data_root = project / "src" / "db"  # the database lives inside a backed-up folder
    config = {"BACKUP_CONFIG": {"backup_code_dir": ["src"], "ignore_code_paths": ["data/"],
                                "max_file_size_mb": 1}, "LOG_USED": ["csv"]}
    exp_manager.set_hyper_param(seed=1)
    exp_manager.configure(task_table_name="t", rla_config=config, data_root=data_root,
                          run_file=str(project / "main.py"), code_root=str(project),
                          ignore_file_path=str(project / "ignore.txt"))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    code_dir = item.path("code")
    copied = sorted(str(p.relative_to(code_dir)) for p in code_dir.rglob("*") if p.is_file())
    # no secrets, caches, VCS folders, ignored patterns, large files or database files
    assert copied == ["main.py", "requirements.txt", "src/agent.py", "src/utils/helper.py"]
    assert "big.bin" in (item.path("log") / "warn.txt").read_text()
    requirements = (code_dir / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("numpy==") for line in requirements)


def test_overlapping_backup_folders_copy_and_report_each_file_once(tmp_path):
    project = tmp_path / "project"
    make_project(project)
    (project / "src" / "notes.txt").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    config = {"BACKUP_CONFIG": {"backup_code_dir": ["src", ".", "src/utils"], "max_file_size_mb": 1},
              "LOG_USED": ["csv"]}
    exp_manager.set_hyper_param(seed=1)
    exp_manager.configure(task_table_name="t", rla_config=config, data_root=tmp_path / "db",
                          run_file=str(project / "main.py"), code_root=str(project))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    code_dir = item.path("code")
    copied = sorted(str(p.relative_to(code_dir)) for p in code_dir.rglob("*") if p.is_file())
    assert copied == [".gitignore", "ignore.txt", "main.py", "requirements.txt", "src/agent.py",
                      "src/data/replay.npy", "src/notes.log", "src/utils/helper.py"]
    warnings = (item.path("log") / "warn.txt").read_text()
    assert "over 1.0 MB: src/big.bin\n" in warnings  # once, though src and . both hold it
    assert "private key: src/notes.txt\n" in warnings


def test_a_run_file_outside_the_project_is_the_one_kept_under_its_name(tmp_path):
    project = tmp_path / "project"
    make_project(project)
    script = tmp_path / "scripts" / "main.py"  # run from the project, with a main.py of its own
    script.parent.mkdir()
    script.write_text("print('the script that ran')\n")
    exp_manager.configure(task_table_name="t", rla_config={"BACKUP_CONFIG": {"backup_code_dir": ["."]},
                                                           "LOG_USED": ["csv"]},
                          data_root=tmp_path / "db", run_file=str(script), code_root=str(project))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    assert (item.path("code") / "main.py").read_text() == script.read_text()


def test_git_state_and_uncommitted_diff_are_recorded(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "agent.py").write_text("lr = 0.1\n")
    git(project, "init", "-q", "-b", "research")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True,
                            text=True).stdout.strip()
    (project / "src" / "agent.py").write_text("lr = 0.3\n")

    exp_manager.configure(task_table_name="t", rla_config={"BACKUP_CONFIG": {"backup_code_dir": ["src"]},
                                                           "LOG_USED": ["csv"]},
                          data_root=tmp_path / "db", code_root=str(project))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    diff = (item.path("code") / "git.diff").read_text()
    assert "-lr = 0.1" in diff and "+lr = 0.3" in diff
    record = json.loads((item.path("log") / "run.json").read_text())
    assert record["git"]["commit"] == commit
    assert record["git"]["branch"] == "research"
    assert record["git"]["dirty"] is True
    assert (item.path("code") / "src" / "agent.py").read_text() == "lr = 0.3\n"


def test_lib_mode_copies_the_library_folder(tmp_path):
    lib = tmp_path / "site" / "mylib"
    (lib / "sub").mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "sub" / "algo.py").write_text("x = 1\n")
    (lib / "sub" / "__pycache__").mkdir()
    (lib / "sub" / "__pycache__" / "algo.pyc").write_text("")
    config = {"PROJECT_TYPE": {"backup_code_by": "lib"}, "BACKUP_CONFIG": {"lib_dir": str(lib)},
              "LOG_USED": ["csv"]}
    exp_manager.configure(task_table_name="t", rla_config=config, data_root=tmp_path / "db",
                          code_root=str(tmp_path))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    code_dir = item.path("code")
    assert (code_dir / "site" / "mylib" / "sub" / "algo.py").read_text() == "x = 1\n"
    assert not list(code_dir.rglob("*.pyc"))


def test_a_database_inside_the_snapshot_folder_is_never_copied(tmp_path):
    (tmp_path / "train.py").write_text("print('train')\n")
    config = {"BACKUP_CONFIG": {"backup_code_dir": ["."]}, "LOG_USED": ["csv"]}
    for _ in range(2):  # data_root is the project folder itself
        exp_manager.configure(task_table_name="t", rla_config=config, data_root=tmp_path, code_root=str(tmp_path))
        item = exp_manager.log_files_gen()
    exp_manager.finish()
    copied = sorted(str(p.relative_to(item.path("code"))) for p in item.path("code").rglob("*") if p.is_file())
    assert copied == ["requirements.txt", "train.py"]



def test_installed_versions_are_what_importlib_metadata_reads(tmp_path, monkeypatch):
    """requirements.txt and run.json's versions come from the metadata folders' names (a run starts half a second
    sooner in an environment of a few hundred packages): the same names and versions as the METADATA files, also for
    the metadata an editable install leaves in a source folder without the version in its name."""
    import re
    from importlib import metadata

    from RLA.easy_log.backup import environment, installed_versions

    source = tmp_path / "source"
    (source / "Edit_Me.egg-info").mkdir(parents=True)
    (source / "Edit_Me.egg-info" / "PKG-INFO").write_text(
        "Metadata-Version: 2.1\nName: Edit_Me\nVersion: 3.1.4\nSummary: a: b\n\nName: not a header\n")
    (source / "old_style.egg-info").write_text("Metadata-Version: 1.0\nName: old-style\nVersion: 0.9\n")
    monkeypatch.syspath_prepend(str(source))
    expected = {}
    for dist in metadata.distributions():  # the first on sys.path, as imports find them
        expected.setdefault(re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower(), dist.version)
    assert {key: version for key, (_, version) in installed_versions().items()} == expected
    assert expected["edit-me"] == "3.1.4" and expected["old-style"] == "0.9"
    assert environment()["packages"]["numpy"] == metadata.version("numpy")


def test_git_state_of_untracked_files_detached_heads_unborn_branches_and_no_repository(tmp_path):
    from RLA.easy_log.backup import git_state

    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    git(project, "init", "-q", "-b", "main")
    (project / "src" / "agent.py").write_text("lr = 0.1\n")
    unborn = git_state(project / "src")  # no commit yet: no commit, no diff, the file untracked
    assert unborn is not None
    assert (unborn["commit"], unborn["branch"], unborn["dirty"], unborn["untracked"], unborn["diff"]) == (
        None, "main", False, 1, "")
    assert unborn["root"] == str(project)

    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    (project / "src" / "agent.py").write_text("lr = 0.2\n")
    git(project, "add", "-A")  # staged, then the working tree back as committed: still dirty (the index)
    (project / "src" / "agent.py").write_text("lr = 0.1\n")
    (project / "notes dir").mkdir()
    (project / "notes dir" / "a.txt").write_text("a")
    (project / "b.txt").write_text("b")
    state = git_state(project / "src")
    assert state is not None
    assert (state["branch"], state["dirty"], state["untracked"]) == ("main", True, 2)

    git(project, "reset", "-q", "--hard")
    git(project, "checkout", "-q", "--detach")
    detached = git_state(project)
    assert detached is not None
    assert (detached["commit"], detached["branch"], detached["dirty"], detached["diff"]) == (
        state["commit"], None, False, "")

    (tmp_path / "plain").mkdir()
    assert git_state(tmp_path / "plain") is None  # no repository upwards
