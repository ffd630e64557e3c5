"""`assistant wiki build` and `wiki update` against the scripted server, on real repositories:
the planned pages and their sources, links that all resolve, updates that redo only the pages
a change touches, builds that resume, and what a hostile repository or model cannot do."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.testing import cli_env, commit_files
from assistant.wiki.manifest import load_manifest
from tests.cli_run import run_cli
from tests.wiki_support import broken_links, example_repo, generated_repo

PAGE = (
    "This part keeps the stock and takes orders: see `inventory/stock.py:1`, and "
    "[the order code](inventory/orders.py:1). A made-up place `inventory/ghost.py:3` and a "
    "line past the end inventory/stock.py:99999 are dropped. [Click](javascript:alert(1)).\n\n"
    "## How it works\n\nOrders reserve stock ([reserve](inventory/stock.py#L2)).\n"
)


def endpoint(server) -> list[str]:
    return ["--base-url", server.base_url, "--model", "qwen3-coder-plus", "--api-key", "k"]


def wiki(monkeypatch, tmp_path: Path, server, repo: Path, *argv: str):
    env = cli_env(tmp_path / "cache")
    return run_cli(monkeypatch, env, "wiki", *argv, "--repo", str(repo), *endpoint(server))


def line_counts(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): len(p.read_text().splitlines())
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and ".assistant" not in p.parts
    }


def test_the_example_wiki_has_its_planned_pages_sources_and_only_true_links(
    monkeypatch, tmp_path: Path, scripted_server
):
    repo = example_repo(tmp_path)
    server = scripted_server({"default_turn": {"text": PAGE}})
    done = wiki(monkeypatch, tmp_path, server, repo, "build", "--json")
    assert done.code == 0, done.err
    report = json.loads(done.out)
    folder = repo / ".assistant" / "wiki"
    manifest = load_manifest(folder)
    assert manifest is not None and manifest.commit and manifest.model == "qwen3-coder-plus"
    kinds = {p.slug: p.kind for p in manifest.pages}
    assert kinds["overview"] == "overview" and kinds["area-inventory"] == "area"
    inventory = manifest.page("area-inventory")
    assert inventory is not None and "inventory/stock.py" in inventory.sources
    assert all(len(sha) == 40 for sha in inventory.sources.values())  # content hashes
    assert all(p.status == "done" for p in manifest.pages)
    assert len(server.chat_requests) == len(manifest.pages) == report["done"]
    assert broken_links(folder, repo, manifest, line_counts(repo)) == []
    text = (folder / "area-inventory.md").read_text()
    assert "[inventory/stock.py:1](../../inventory/stock.py#L1)" in text
    assert "[the order code](../../inventory/orders.py#L1)" in text
    assert "ghost.py" not in text and "99999" not in text and "javascript" not in text
    assert report["links"]["dropped"] >= 2 * len(manifest.pages)
    assert "![Dependencies between areas](overview.svg)" in (folder / "overview.md").read_text()
    assert inventory.summary.startswith("This part keeps the stock")
    # the model saw the area's code, labelled so it can cite it
    prompt = next(
        r.body["messages"][1]["content"]
        for r in server.chat_requests
        if "the area inventory/" in r.body["messages"][1]["content"]
    )
    assert "inventory/stock.py:" in prompt and "## Main symbols" in prompt


def test_the_index_leaves_the_wiki_out(monkeypatch, tmp_path: Path, scripted_server):
    repo = example_repo(tmp_path)
    server = scripted_server({"default_turn": {"text": "Reserve zyxwvut stock. " + PAGE}})
    assert wiki(monkeypatch, tmp_path, server, repo, "build").code == 0
    env = cli_env(tmp_path / "cache")
    found = run_cli(monkeypatch, env, "search", "zyxwvut", "--files", "--repo", str(repo))
    assert ".assistant/wiki" not in found.out


def test_a_one_file_change_updates_only_the_pages_it_belongs_to(
    monkeypatch, tmp_path: Path, scripted_server
):
    repo = generated_repo(tmp_path)
    server = scripted_server({"default_turn": {"text": "Steps, see `pkg0/mod1.py:1`.\n"}})
    built = wiki(monkeypatch, tmp_path, server, repo, "build", "--pages", "10", "--json")
    assert built.code == 0, built.err
    folder = repo / ".assistant" / "wiki"
    manifest = load_manifest(folder)
    assert manifest is not None
    slugs = [p.slug for p in manifest.pages]
    assert {f"area-pkg{n}" for n in range(5)} | {"overview", "area-tests"} <= set(slugs)
    flow = next(p for p in manifest.pages if p.kind == "flow")
    assert flow.slug == "flow-main"
    assert {"cli.py", "pkg0/stage.py", "pkg1/stage.py", "pkg2/stage.py"} <= set(flow.sources)
    assert "pkg3/mod7.py" in (manifest.page("area-pkg3") or flow).sources
    assert broken_links(folder, repo, manifest, line_counts(repo)) == []
    flow_page = (folder / "flow-main.md").read_text()
    assert "1. [`main`](../../cli.py#L6)" in flow_page and "load_records" in flow_page
    assert (folder / "flow-main.svg").read_text().startswith("<svg")
    before = len(server.chat_requests)

    path = repo / "pkg3" / "mod7.py"
    path.write_text(path.read_text() + "\n\ndef extra_3_7():\n    return 37\n")
    planned = wiki(monkeypatch, tmp_path, server, repo, "update", "--dry-run", "--json")
    assert planned.code == 0, planned.err
    to_write = [p["slug"] for p in json.loads(planned.out)["pages"] if p["write"]]
    assert to_write == ["area-pkg3"]
    assert len(server.chat_requests) == before  # a dry run asks nothing
    updated = wiki(monkeypatch, tmp_path, server, repo, "update", "--json")
    assert updated.code == 0, updated.err
    assert len(server.chat_requests) == before + 1
    assert "the area pkg3/ of" in json.dumps(server.chat_requests[-1].body)
    after = load_manifest(folder)
    assert after is not None and after.page("area-pkg3") != manifest.page("area-pkg3")
    assert after.page("overview") == manifest.page("overview")
    again = wiki(monkeypatch, tmp_path, server, repo, "update", "--json")
    assert again.code == 0 and len(server.chat_requests) == before + 1  # nothing left to do


def test_an_interrupted_build_resumes_without_redoing_pages(
    monkeypatch, tmp_path: Path, scripted_server
):
    repo = generated_repo(tmp_path)
    failing = {"text": "", "fault": {"kind": "status", "status": 401}}
    ok = {"text": "Fine page, see `cli.py:1`.\n"}
    server = scripted_server({"turns": [ok, ok, ok, failing]})
    first = wiki(monkeypatch, tmp_path, server, repo, "build", "--pages", "10", "--jobs", "1")
    assert first.code == 1
    assert "run the same command again" in first.err
    folder = repo / ".assistant" / "wiki"
    manifest = load_manifest(folder)
    assert manifest is not None
    done = [p.slug for p in manifest.pages if p.status == "done"]
    pending = [p.slug for p in manifest.pages if p.status == "pending"]
    assert len(done) == 3 and len(pending) == len(manifest.pages) - 3
    assert len(server.chat_requests) == 4  # the endpoint failed: no page was started after it

    server.add_turns([ok] * 20)
    second = wiki(monkeypatch, tmp_path, server, repo, "build", "--pages", "10", "--jobs", "4")
    assert second.code == 0, second.err
    asked = [json.dumps(r.body) for r in server.chat_requests[4:]]
    assert len(asked) == len(pending)
    finished = load_manifest(folder)
    assert finished is not None and all(p.status == "done" for p in finished.pages)
    assert [finished.page(s) for s in done] == [manifest.page(s) for s in done]


def test_no_secret_reaches_the_model_or_a_page(monkeypatch, tmp_path: Path, scripted_server):
    key = "AKIA" + "Q3EXAMPLE7KEYZ9W"  # an access key id: AKIA and 16 more
    repo = commit_files(
        tmp_path / "repo",
        {
            "app/settings.py": f'AWS_ACCESS_KEY_ID = "{key}"\n\n\ndef load():\n    return 1\n',
            "app/core.py": "from app.settings import load\n\n\ndef run():\n    return load()\n",
            "app/extra.py": "def extra():\n    return 2\n",
            ".env": f"AWS_ACCESS_KEY_ID={key}\n",
        },
        "app",
    )
    server = scripted_server({"default_turn": {"text": f"It uses {key} from `app/core.py:4`."}})
    done = wiki(monkeypatch, tmp_path, server, repo, "build")
    assert done.code == 0, done.err
    assert key not in json.dumps([r.body for r in server.chat_requests])
    pages = "".join(p.read_text() for p in (repo / ".assistant" / "wiki").glob("*.md"))
    assert key not in pages and ".env" not in pages
    assert "[app/core.py:4](../../app/core.py#L4)" in pages


def test_a_wiki_folder_linked_elsewhere_is_refused(monkeypatch, tmp_path: Path, scripted_server):
    repo = example_repo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / ".assistant").mkdir()
    (repo / ".assistant" / "wiki").symlink_to(elsewhere)
    server = scripted_server({"default_turn": {"text": PAGE}})
    done = wiki(monkeypatch, tmp_path, server, repo, "build")
    assert done.code == 1 and "is a link" in done.err
    assert list(elsewhere.iterdir()) == [] and server.chat_requests == []


def test_a_hostile_manifest_is_not_used_and_removes_nothing(
    monkeypatch, tmp_path: Path, scripted_server
):
    repo = example_repo(tmp_path)
    folder = repo / ".assistant" / "wiki"
    folder.mkdir(parents=True)
    victim = repo / "keep.md"
    victim.write_text("mine\n")
    hostile = {
        "format": "assistant-wiki", "version": 1, "commit": None, "model": "m", "areas": [],
        "pages": [{"slug": "../../keep", "title": "t", "kind": "area", "status": "done"}],
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(hostile))
    server = scripted_server({"default_turn": {"text": PAGE}})
    refused = wiki(monkeypatch, tmp_path, server, repo, "update")
    assert refused.code == 1 and "not a wiki manifest this version can read" in refused.err
    built = wiki(monkeypatch, tmp_path, server, repo, "build")
    assert built.code == 0, built.err
    assert victim.read_text() == "mine\n"
    manifest = load_manifest(folder)
    assert manifest is not None and all(".." not in p.slug for p in manifest.pages)


def test_ctrl_c_keeps_the_pages_written_and_the_next_build_does_the_rest(
    tmp_path: Path, scripted_server
):
    repo = generated_repo(tmp_path)
    slow = {"text": "A page, see `cli.py:1`.\n", "fault": {"kind": "delay", "seconds": 0.4}}
    server = scripted_server({"default_turn": slow})
    argv = [sys.executable, "-m", "assistant", "wiki", "build", "--pages", "10", "--jobs", "1"]
    argv += ["--repo", str(repo), *endpoint(server)]
    env = cli_env(tmp_path / "cache")
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    folder = repo / ".assistant" / "wiki"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        manifest = load_manifest(folder) if (folder / "manifest.json").is_file() else None
        if manifest is not None and sum(p.status == "done" for p in manifest.pages) >= 2:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert b"written pages are kept" in err
    interrupted = load_manifest(folder)
    assert interrupted is not None
    done = [p.slug for p in interrupted.pages if p.status == "done"]
    assert 2 <= len(done) < len(interrupted.pages)
    asked = len(server.chat_requests)

    finished = subprocess.run(argv, env=env, capture_output=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert len(server.chat_requests) - asked == len(interrupted.pages) - len(done)


def test_an_update_gives_a_new_package_its_page_and_redoes_the_overview(
    monkeypatch, tmp_path: Path, scripted_server
):
    repo = generated_repo(tmp_path)
    server = scripted_server({"default_turn": {"text": "A page, see `cli.py:1`.\n"}})
    assert wiki(monkeypatch, tmp_path, server, repo, "build", "--pages", "10").code == 0
    for number in range(4):
        path = repo / "newpkg" / f"part{number}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"def part_{number}():\n    return {number}\n")
    (repo / "pkg4" / "mod9.py").unlink()
    planned = wiki(monkeypatch, tmp_path, server, repo, "update", "--dry-run", "--json")
    assert planned.code == 0, planned.err
    to_write = {p["slug"] for p in json.loads(planned.out)["pages"] if p["write"]}
    assert to_write == {"overview", "area-newpkg", "area-pkg4"}


def test_an_update_with_nothing_changed_asks_nothing_whatever_the_build_planned(
    monkeypatch, tmp_path: Path, scripted_server
):
    repo = generated_repo(tmp_path)
    server = scripted_server({"default_turn": {"text": "A page, see `cli.py:1`.\n"}})
    assert wiki(monkeypatch, tmp_path, server, repo, "build", "--pages", "4").code == 0
    manifest = load_manifest(repo / ".assistant" / "wiki")
    assert manifest is not None and not any(p.kind == "flow" for p in manifest.pages)
    asked = len(server.chat_requests)
    updated = wiki(monkeypatch, tmp_path, server, repo, "update")
    assert updated.code == 0, updated.err
    assert len(server.chat_requests) == asked
    assert load_manifest(repo / ".assistant" / "wiki") == manifest
