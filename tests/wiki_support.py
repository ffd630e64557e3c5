"""Repositories and checks the wiki tests share: the bundled example, a generated project of a
few hundred files with a flow through four packages, and a check that every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.testing import commit_files
from assistant.wiki.manifest import Manifest
from assistant.wiki.reader import code_target

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "python-inventory"
PACKAGES = 5
MODULES = 50
LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)]+)\)")


def example_repo(base: Path, name: str = "inventory") -> Path:
    """Return a git repository holding the bundled example, in `base`/`name`."""
    files = {
        path.relative_to(EXAMPLE).as_posix(): path.read_text()
        for path in sorted(EXAMPLE.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    return commit_files(base / name, files, "example")


def generated_repo(base: Path) -> Path:
    """Return a git repository of 5 packages of 50 modules, 50 tests, and `cli.py`, whose
    `main` runs a pipeline through four packages (a flow)."""
    files: dict[str, str] = {"README.md": "# Generated\n\nA pipeline in five packages.\n"}
    for package in range(PACKAGES):
        files[f"pkg{package}/__init__.py"] = f'"""Package {package}."""\n'
        for module in range(MODULES):
            previous = (
                f"from pkg{package}.mod{module - 1} import step_{package}_{module - 1}\n\n\n"
                if module
                else ""
            )
            call = f"step_{package}_{module - 1}(value)" if module else "value"
            files[f"pkg{package}/mod{module}.py"] = (
                f'"""Module {module} of package {package}."""\n\n{previous}'
                f"def step_{package}_{module}(value):\n"
                f'    """Step {module} of package {package}: one more than the step before."""\n'
                f"    return {call} + 1\n"
            )
        files[f"tests/test_pkg{package}.py"] = (
            f"from pkg{package}.mod1 import step_{package}_1\n\n\n"
            f"def test_step_{package}():\n    assert step_{package}_1(0) == 2\n"
        )
    stages = ["load_records", "clean_records", "score_records", "write_report"]
    for number, stage in enumerate(stages):
        following = stages[number + 1] if number + 1 < len(stages) else None
        head = f"from pkg{number + 1}.stage import {following}\n\n\n" if following else ""
        body = f"    rows = [step_{number}_3(r) for r in rows]\n"
        body += f"    return {following}(rows)\n" if following else "    return len(rows)\n"
        files[f"pkg{number}/stage.py"] = (
            f'"""Stage {number} of the pipeline."""\n\n{head}'
            f"from pkg{number}.mod3 import step_{number}_3\n\n\n"
            f"def {stage}(rows):\n"
            f'    """{stage.replace("_", " ").capitalize()} and hand them on."""\n{body}'
        )
    files["cli.py"] = (
        '"""The command line."""\n\nfrom pkg0.stage import load_records\n\n\n'
        'def main():\n    """Run the pipeline over three rows."""\n'
        "    return load_records([1, 2, 3])\n"
    )
    return commit_files(base / "generated", files, "generated")


def broken_links(folder: Path, root: Path, manifest: Manifest, lines: dict[str, int]) -> list[str]:
    """Return every link of every written page that does not resolve: a code line that is not
    in the index, a page that is not written, an image that is not there, any other target
    that is not http(s)."""
    written = {p.file for p in manifest.pages if p.status == "done"}
    broken = []
    for page in manifest.pages:
        if page.status != "done":
            continue
        for bang, href in LINK.findall((folder / page.file).read_text()):
            if bang:
                ok = (folder / href).is_file() and href.endswith(".svg")
            elif href.startswith(("http://", "https://")):
                ok = True
            elif href.endswith(".md"):
                ok = href in written
            else:
                target = code_target(folder, root, href)
                ok = target is not None and 1 <= target[1] <= lines.get(target[0], 0)
            if not ok:
                broken.append(f"{page.file}: {href}")
    return broken
