"""The code of two runs compared: their snapshots (sources, git.diff, requirements.txt) file by file, from
Python and on the Compare page of a real `rla ui` in headless Chromium."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Tuple

from ui_server import page, running_ui  # noqa: F401

from RLA import exp_manager
from RLA.db.code_diff import diff_code
from RLA.db.layout import Item

ROWS = "#runs-table tbody tr[data-index]"


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=project,
                   check=True, capture_output=True)


def _run(project: Path, data_root: Path, seed: int) -> Item:
    exp_manager.set_hyper_param(seed=seed)
    exp_manager.configure(task_table_name="ppo", rla_config={"LOG_USED": ["csv"], "BACKUP_CONFIG": {
        "backup_code_dir": ["src"]}}, data_root=data_root, run_file=str(project / "main.py"), code_root=str(project))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    return item


def two_runs(tmp_path: Path) -> Tuple[Item, Item, Path]:
    """Two runs of one git project: the second with an uncommitted edit of agent.py, a new file and new bytes."""
    project, data_root = tmp_path / "project", tmp_path / "db"
    (project / "src").mkdir(parents=True)
    (project / "main.py").write_text("import src.agent\n")
    agent = "".join(f"# line {i}\n" for i in range(20)) + "LR = 0.1\nGAMMA = 0.99\n"
    (project / "src" / "agent.py").write_text(agent)
    (project / "src" / "weights.bin").write_bytes(b"\0\1\2")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "first")
    first = _run(project, data_root, 0)
    (project / "src" / "agent.py").write_text(agent.replace("LR = 0.1", "LR = 0.3"))
    (project / "src" / "buffer.py").write_text("SIZE = 10_000\n")
    (project / "src" / "weights.bin").write_bytes(b"\0\1\3")
    second = _run(project, data_root, 1)
    return first, second, data_root


def test_the_diff_shows_the_changed_line_the_uncommitted_change_and_new_files(tmp_path: Path):
    first, second, _ = two_runs(tmp_path)
    diff = diff_code(first, second)
    changes = {c.path: c for c in diff.changes}
    assert set(changes) == {"src/agent.py", "src/buffer.py", "src/weights.bin", "git.diff"}
    agent = changes["src/agent.py"]
    assert agent.change == "changed" and "-LR = 0.1" in agent.lines and "+LR = 0.3" in agent.lines
    assert agent.lines[0].startswith("@@") and "# line 5" not in "".join(agent.lines)  # three lines of context
    assert changes["src/buffer.py"].change == "added" and changes["src/buffer.py"].lines[-1] == "+SIZE = 10_000"
    assert changes["src/weights.bin"].change == "binary" and not changes["src/weights.bin"].lines
    assert "++LR = 0.3" in changes["git.diff"].lines  # the second run's uncommitted change
    assert [c.path for c in diff.changes if c.uncommitted] == ["git.diff"]
    assert diff.same == 2 and not diff.truncated  # main.py and requirements.txt
    back = diff_code(second, first)
    assert {c.path: c.change for c in back.changes}["src/buffer.py"] == "removed"
    assert diff_code(first, first).changes == []


def test_the_compare_page_shows_the_code_diff_of_two_ticked_runs(page, tmp_path: Path):
    first, second, data_root = two_runs(tmp_path)
    with running_ui(data_root) as url:
        page.goto(url)
        page.wait_for_selector(ROWS)
        for item in (first, second):
            page.check(f"{ROWS}[data-index='{item.index}'] input.sel")
        page.click("#btn-compare")
        page.wait_for_selector(".diff-file[data-path='src/agent.py'] pre.diff")
        agent = page.locator(".diff-file[data-path='src/agent.py']")
        assert agent.locator(".del").all_inner_texts() == ["-LR = 0.1\n"]
        assert agent.locator(".add").all_inner_texts() == ["+LR = 0.3\n"]
        assert "4 files differ, 2 the same" in page.inner_text(".code-diff")
        assert "binary" in page.inner_text(".diff-file[data-path='src/weights.bin']")
        git_diff = page.locator(".diff-file[data-path='git.diff']")  # the first run ran from a clean checkout
        assert "the uncommitted changes of the new run" in git_diff.inner_text()
        assert git_diff.locator(".add").all_inner_texts() == ["+LR = 0.3\n"]
        page.select_option("#diff-a", second.index)
        page.select_option("#diff-b", first.index)
        page.wait_for_function("document.querySelector(\".diff-file[data-path='src/buffer.py'] .badge\")?"
                               ".textContent === 'removed'")


def test_huge_snapshots_are_bounded(tmp_path: Path):
    """A file rewritten line by line (difflib would take minutes: 25,000 interleaved changes) is said to differ;
    a minified line is cut; past MAX_LINES the files are named without their lines."""
    from RLA.db import code_diff

    first, second, _ = two_runs(tmp_path)
    old = [f"x = {i}  # line {i}" for i in range(25_000)]
    new = [line if i % 2 else f"y = {i}" for i, line in enumerate(old)]
    (first.code_dir / "src" / "table.py").write_text("\n".join(old))
    (second.code_dir / "src" / "table.py").write_text("\n".join(new))
    (first.code_dir / "src" / "a.min.js").write_text("a" * 5000)
    (second.code_dir / "src" / "a.min.js").write_text("b" * 5000)
    for n in range(12):  # 12 new files of 1,900 lines each: the last ones past the 20,000 lines shown
        (second.code_dir / "src" / f"gen_{n:02d}.py").write_text("".join(f"v{i} = {i}\n" for i in range(1900)))
    diff = diff_code(first, second)
    changes = {c.path: c for c in diff.changes}
    assert changes["src/table.py"].change == "large" and not changes["src/table.py"].lines
    assert [len(line) for line in changes["src/a.min.js"].lines if line[0] in "+-"] == [code_diff.MAX_LINE_CHARS] * 2
    assert changes["src/a.min.js"].lines[-1].endswith("…")
    generated = [changes[f"src/gen_{n:02d}.py"] for n in range(12)]
    assert sum(len(c.lines) for c in diff.changes) == code_diff.MAX_LINES and diff.truncated
    assert generated[-1].cut and not generated[-1].lines and not generated[0].cut
    assert len(generated[0].lines) == 1901  # the hunk's header and every line
