"""A batch's final report, in Markdown for people and JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from assistant.batch.state import BatchState


def render_json(state: BatchState) -> str:
    """Return the report as JSON."""
    data = {
        "instruction": state.instruction,
        "branch": state.branch,
        "base": state.base,
        "counts": state.counts(),
        "tokens": state.tokens(),
        "targets": [asdict(t) for t in state.targets.values()],
    }
    return json.dumps(data, indent=2)


def render_markdown(state: BatchState) -> str:
    """Return the report as Markdown: a summary, a table, and the failures' output."""
    counts = state.counts()
    lines = [
        f"# Batch refactor on `{state.branch}`",
        "",
        f"Instruction: {state.instruction}",
        "",
        f"{counts['done']} landed, {counts['unchanged']} unchanged, {counts['failed']} failed, "
        f"{counts['pending']} pending; {state.tokens():,} tokens.",
        "",
        "| target | status | +/- | commit | tokens |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in state.targets.values():
        lines.append(
            f"| `{t.path}` | {t.status} | +{t.added}/-{t.removed} | {t.commit[:10]} | {t.tokens} |"
        )
    failures = [t for t in state.targets.values() if t.status == "failed"]
    if failures:
        lines += ["", "## Failures"]
        for t in failures:
            lines += ["", f"### `{t.path}`", "", "```", t.error.strip(), "```"]
    return "\n".join(lines) + "\n"


def write_reports(state: BatchState) -> tuple[Path, Path]:
    """Write report.md and report.json next to the state file; return their paths."""
    markdown = state.path.with_suffix(".report.md")
    data = state.path.with_suffix(".report.json")
    markdown.write_text(render_markdown(state))
    data.write_text(render_json(state))
    return markdown, data
