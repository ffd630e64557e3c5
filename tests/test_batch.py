"""Batch refactors on real git repositories against the scripted server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import git

from assistant.batch.run import BatchOptions, BatchRun, make_plan
from assistant.batch.state import BatchState
from assistant.llm import ModelClient, RetryPolicy
from assistant.testing import call, cli_env, commit_files, edit, settings_for, work_tree_bytes

N_TARGETS = 22
INSTRUCTION = "Rename the function old_XX to new_XX (XX is the file's number)."
MODULES = {
    **{f"mod_{n:02d}.py": f'"""Module {n}."""\n\n\ndef old_{n:02d}():\n    return {n}\n'
       for n in range(N_TARGETS)},
    "README.md": "modules\n",
}  # fmt: skip


def make_repo(root: Path) -> git.Repo:
    """Commit the modules the batch renames in, at `root`."""
    return git.Repo(commit_files(root, MODULES, "modules"))


def target_turns(n: int, broken: bool = False) -> list[dict]:
    path = f"mod_{n:02d}.py"
    new = "def new_{0:02d}(:" if broken else "def new_{0:02d}():"
    rename = edit(path, f"def old_{n:02d}():", new.format(n))
    return [
        {"match": f"`{path}`", "tool_calls": [call("read_file", path=path)]},
        {"match": f"`{path}`", "tool_calls": [rename]},
        {"match": f"`{path}`", "text": f"Renamed in {path}."},
    ]


def test_a_refactor_over_many_files_lands_one_verified_commit_each(scripted_server, tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    repo = make_repo(root)
    (root / "notes.txt").write_text("the user's untracked notes\n")
    before, head = work_tree_bytes(root), repo.head.commit.hexsha
    turns = [turn for n in range(N_TARGETS) for turn in target_turns(n)]
    server = scripted_server({"turns": turns})
    command = [
        sys.executable, "-m", "assistant", "refactor", INSTRUCTION, "--files", "mod_*.py",
        "--jobs", "4", "--branch", "rename-all", "--verify", f"{sys.executable} -m compileall -q .",
        "--json", "--repo", str(root), "--base-url", server.base_url, "--model", "qwen3-coder-plus",
    ]  # fmt: skip
    result = subprocess.run(
        command, env=cli_env(cache), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["counts"]["done"] == N_TARGETS
    commits = list(repo.iter_commits(f"{head}..rename-all"))
    assert len(commits) == N_TARGETS
    for commit in commits:
        (changed,) = commit.stats.files
        assert commit.message.startswith(f"refactor({changed}):")
    for n in range(N_TARGETS):
        text = repo.git.show(f"rename-all:mod_{n:02d}.py")
        assert f"def new_{n:02d}():" in text and "old_" not in text
    assert repo.active_branch.name != "rename-all"
    assert repo.head.commit.hexsha == head
    assert work_tree_bytes(root) == before
    assert not repo.git.status("--porcelain", "--untracked-files=no")


async def run_batch(server, root: Path, cache: Path, state: BatchState | None = None, **options):
    settings = settings_for(server.base_url, cache_dir=cache)
    client = ModelClient(settings, retry=RetryPolicy(max_retries=1, base_delay=0.01))
    batch = BatchRun(root, settings, BatchOptions(INSTRUCTION, **options), client, cache)
    try:
        targets = [f"mod_{n:02d}.py" for n in range(N_TARGETS)]
        return await batch.run(state or batch.start(make_plan(root, targets)))
    finally:
        await client.aclose()


async def test_a_target_that_fails_verification_is_rolled_back_and_reported(
    scripted_server, tmp_path
):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    repo = make_repo(root)
    turns = [t for n in range(N_TARGETS) for t in target_turns(n, broken=(n == 7))]
    server = scripted_server({"turns": turns})
    state = await run_batch(server, root, cache, jobs=8, branch="partly")
    counts = state.counts()
    assert (counts["done"], counts["failed"]) == (N_TARGETS - 1, 1)
    failed = state.targets["mod_07.py"]
    assert "syntax errors" in failed.error and "mod_07.py:4" in failed.error
    assert "old_07" in repo.git.show("partly:mod_07.py")
    assert len(list(repo.iter_commits("HEAD..partly"))) == N_TARGETS - 1


async def test_verify_command_failure_rolls_back_that_target(scripted_server, tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    repo = make_repo(root)
    turns = [t for n in range(N_TARGETS) for t in target_turns(n)]
    server = scripted_server({"turns": turns})
    verify = "! grep -q 'new_03' mod_03.py"  # a check that only target 3's change breaks
    state = await run_batch(server, root, cache, jobs=4, branch="verified", verify=verify)
    assert state.targets["mod_03.py"].status == "failed"
    assert "verify command failed" in state.targets["mod_03.py"].error
    assert state.counts()["done"] == N_TARGETS - 1
    assert "old_03" in repo.git.show("verified:mod_03.py")


async def test_an_endpoint_outage_then_resume_redoes_nothing_that_succeeded(
    scripted_server, tmp_path
):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    repo = make_repo(root)
    down_after = scripted_server({"turns": [t for n in range(10) for t in target_turns(n)]})
    state = await run_batch(down_after, root, cache, jobs=1, branch="resumable")
    # The script ran out after ten targets: the server then answers 500 until retries give up.
    counts = state.counts()
    assert counts["done"] == 10 and counts["pending"] == N_TARGETS - 10
    assert all("script exhausted" in t.error or "500" in t.error
               for t in state.targets.values() if t.status == "pending" and t.error)  # fmt: skip
    second = scripted_server({"turns": [t for n in range(10, N_TARGETS) for t in target_turns(n)]})
    resumed = await run_batch(second, root, cache, BatchState.load(state.path), jobs=4)
    assert resumed.counts()["done"] == N_TARGETS
    asked = " ".join(json.dumps(r.body) for r in second.chat_requests)
    assert all(f"`mod_{n:02d}.py`" not in asked for n in range(10))
    assert len(list(repo.iter_commits("HEAD..resumable"))) == N_TARGETS


async def test_unreachable_endpoint_leaves_targets_pending(tmp_path, scripted_server):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    make_repo(root)
    server = scripted_server({})
    server.stop()  # nothing listens any more: connection refused
    state = await run_batch(server, root, cache, jobs=2, branch="offline")
    assert state.counts()["pending"] == N_TARGETS
    assert any("cannot reach" in t.error for t in state.targets.values())


def test_dry_run_changes_nothing(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    repo = make_repo(root)
    before = work_tree_bytes(root)
    refs_before = repo.git.show_ref()
    git_dir_before = {p: p.read_bytes() for p in (root / ".git").rglob("*") if p.is_file()}
    command = [
        sys.executable, "-m", "assistant", "refactor", INSTRUCTION, "--files", "mod_0*.py",
        "--dry-run", "--json", "--repo", str(root), "--base-url", "http://127.0.0.1:9/v1",
    ]  # fmt: skip
    result = subprocess.run(command, env=cli_env(cache), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["targets"] == [f"mod_{n:02d}.py" for n in range(10)]
    assert plan["estimated_tokens"] > 0
    assert work_tree_bytes(root) == before
    assert repo.git.show_ref() == refs_before
    assert {p: p.read_bytes() for p in (root / ".git").rglob("*") if p.is_file()} == git_dir_before


def test_symbol_targets_come_from_the_index(tmp_path):
    root, cache = tmp_path / "repo", tmp_path / "cache"
    caller = "from mod_03 import old_03\n\n\ndef use():\n    return old_03()\n"
    commit_files(root, MODULES, "modules")
    commit_files(root, {"caller.py": caller}, "caller")
    command = [
        sys.executable, "-m", "assistant", "refactor", INSTRUCTION, "--symbol", "old_03",
        "--dry-run", "--json", "--repo", str(root),
    ]  # fmt: skip
    result = subprocess.run(command, env=cli_env(cache), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["targets"] == ["caller.py", "mod_03.py"]
