"""Review a change with the model, read only: the uncommitted diff or a commit range.

`collect_target` takes the diff from git (every call through `assistant.git`; secrets files
left out, listed by name, never by content; the diff cut to `DIFF_BUDGET`). `run_review`
hands it to a read-only agent (plan policy, read-only tools, a fresh unsaved conversation),
which may read and search around the change but never edit or run a command, and asks for
one finding per line: `path:line: severity: message`, or `no findings`. `parse_answer`
turns that into findings, keeping the lines that do not parse as remarks; findings on a file
outside the diff or a line outside the file are dropped. The front ends (the chat's
`/review`, `assistant review`) show `format_text`, `format_markdown` or `to_json`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.agent.conversation import Conversation
from assistant.agent.events import DoneReason, RunSummary, ToolCallStarted
from assistant.config import Settings
from assistant.config.paths import cache_root
from assistant.errors import GitError
from assistant.git import GitRepository, git_bytes
from assistant.git.shadow import EMPTY_TREE
from assistant.llm import ModelClient
from assistant.security.secrets import is_secret_path
from assistant.tools import READ_ONLY_TOOLS
from assistant.tools.base import cut_middle
from assistant.workspace import is_secret_file

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")
_SEVERITY: dict[str, Severity] = {severity: severity for severity in SEVERITIES}
DIFF_BUDGET = 60_000
MAX_TURNS = 16
NO_FINDINGS = "no findings"
Progress = Callable[[str], Awaitable[None]]

_FINDING = re.compile(
    r"^[-*\s]*`?(?P<path>[^\s:`][^:`]*?):(?P<line>\d+)(?::\d+)?`?\s*:\s*"
    r"(?P<severity>error|warning|note)\s*:\s*(?P<message>.*\S)\s*$",
    re.IGNORECASE,
)
_SECRET_NOTE = "[a secrets file changed; not shown: {}]\n"
_TASK = """\
Review {what}. Look for bugs, wrong logic, unhandled errors and edge cases, security problems,
and code that does not do what it seems to. Read the changed files around the change and search
the repository where that helps; you cannot change anything or run commands, and you must not
call exit_plan_mode: your answer is the review itself.

Answer in exactly this form and nothing else, one finding per line:
path:line: severity: message
where path is a changed file as the diff names it, line a line number in its new version, and
severity one of error, warning, note. If there is nothing worth reporting, answer with the
single line: no findings

Changed files: {files}
{notes}
```diff
{diff}
```
"""


@dataclass(frozen=True)
class Finding:
    """One problem the model found: where (1-based line in the new version), how bad, what."""

    path: str
    line: int
    severity: Severity
    message: str


@dataclass(frozen=True)
class ReviewTarget:
    """What is reviewed: the repository's top folder, the range as given (None: the uncommitted
    changes), the diff the model sees, its files with their line counts in the new version,
    and the secrets files left out."""

    root: Path
    range: str | None
    diff: str
    files: tuple[str, ...]
    lines: dict[str, int] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    cut: bool = False  # the diff was longer than DIFF_BUDGET and cut in the middle

    @property
    def empty(self) -> bool:
        """Return whether there is nothing for the model to review."""
        return not self.files or not self.diff.strip()


@dataclass(frozen=True)
class Review:
    """What the review came to: kept findings, the answer's other lines, dropped findings."""

    target: ReviewTarget
    findings: tuple[Finding, ...] = ()
    remarks: tuple[str, ...] = ()
    dropped: tuple[Finding, ...] = ()
    reason: DoneReason = "completed"
    error: str = ""

    @property
    def has_errors(self) -> bool:
        """Return whether any kept finding is an error."""
        return any(f.severity == "error" for f in self.findings)


# -- the diff ------------------------------------------------------------------------------


def collect_target(root: Path, settings: Settings, spec: str | None = None) -> ReviewTarget:
    """Return the diff to review: the uncommitted changes (staged, unstaged and untracked files)
    against HEAD, or the commit range `spec` (`A..B`, `A...B`, or one commit). Raise GitError
    when `root` is not in a git repository or the range names no commits."""
    repo = GitRepository(root, cache_root(settings))
    if spec:
        return _range_target(repo, spec)
    return _uncommitted_target(repo)


def _uncommitted_target(repo: GitRepository) -> ReviewTarget:
    paths = sorted({entry.path for entry in repo.status_entries()})
    secrets = tuple(p for p in paths if _secret_in_work_tree(repo.root, p))
    kept = [p for p in paths if p not in secrets]
    diff = repo.diff(kept) if kept else ""
    lines = {path: _lines_on_disk(repo.root / path) for path in kept}
    return _target(repo.root, None, diff, kept, lines, secrets)


def _range_target(repo: GitRepository, spec: str) -> ReviewTarget:
    base, tip = _resolve_range(repo, spec)
    names = repo.git("diff", "--no-renames", "--name-only", "-z", base, tip).split("\0")
    names = [name for name in names if name]
    secrets = tuple(name for name in names if is_secret_path(name))
    kept = [name for name in names if name not in secrets]
    excluded = [f":(exclude,literal){name}" for name in secrets]
    diff = repo.git("diff", "--no-renames", base, tip, "--", ".", *excluded) if kept else ""
    return _target(repo.root, spec, diff, kept, _lines_at(repo, tip, kept), secrets)


def _resolve_range(repo: GitRepository, spec: str) -> tuple[str, str]:
    """Return the (base, tip) commits of `A..B`, `A...B` (from their merge base) or `C` (the
    commit C against its first parent)."""
    if "..." in spec:
        left, right = spec.split("...", 1)
        tip = _commit(repo, right or "HEAD", spec)
        base = repo.git("merge-base", _commit(repo, left or "HEAD", spec), tip)
        return base, tip
    if ".." in spec:
        left, right = spec.split("..", 1)
        return _commit(repo, left or "HEAD", spec), _commit(repo, right or "HEAD", spec)
    tip = _commit(repo, spec, spec)
    parents = repo.git("rev-list", "--parents", "-n", "1", tip).split()[1:]
    return (parents[0] if parents else EMPTY_TREE), tip


def _commit(repo: GitRepository, rev: str, spec: str) -> str:
    bad = GitError(f"bad range {spec!r}: {rev!r} names no commit", hint="e.g. HEAD~3..HEAD")
    if rev.startswith("-") or not rev.strip():
        raise bad
    try:
        return repo.rev_parse(f"{rev}^{{commit}}")
    except GitError:
        raise bad from None


def _lines_at(repo: GitRepository, tip: str, paths: Iterable[str]) -> dict[str, int]:
    """Return the line count of each path in commit `tip` (0 where it is deleted or binary)."""
    counts = dict.fromkeys(paths, 0)
    if not counts:
        return counts
    out = git_bytes(repo.root, "cat-file", "--batch", stdin="".join(f"{tip}:{p}\n" for p in counts))
    offset = 0
    for path in counts:
        end = out.index(b"\n", offset)
        header = out[offset:end].split()
        offset = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue  # "missing": deleted in tip
        size = int(header[2])
        counts[path] = _line_count(out[offset : offset + size])
        offset += size + 1
    return counts


def _target(
    root: Path,
    spec: str | None,
    diff: str,
    kept: list[str],
    lines: dict[str, int],
    secrets: tuple[str, ...],
) -> ReviewTarget:
    shown = cut_middle(diff, DIFF_BUDGET)
    return ReviewTarget(root, spec, shown, tuple(kept), lines, secrets, cut=shown != diff)


def _secret_in_work_tree(root: Path, path: str) -> bool:
    if is_secret_path(path):
        return True
    try:
        return is_secret_file(root, root / path)
    except (ValueError, OSError):  # a link out of the repository: not ours to show
        return True


def _lines_on_disk(path: Path) -> int:
    if path.is_symlink() or not path.is_file():
        return 0
    try:
        return _line_count(path.read_bytes())
    except OSError:
        return 0


def _line_count(data: bytes) -> int:
    if b"\0" in data[:8_000]:
        return 0  # binary: no line to point at
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


# -- the model -----------------------------------------------------------------------------


def review_task(target: ReviewTarget) -> str:
    """Return the task the review agent gets: the instructions, the answer's form, the diff."""
    what = _what(target)
    notes = "".join(_SECRET_NOTE.format(name) for name in target.secrets)
    if target.cut:
        notes += f"[the diff is longer than {DIFF_BUDGET:,} characters: its middle is cut]\n"
    return _TASK.format(what=what, files=", ".join(target.files), notes=notes, diff=target.diff)


async def run_review(
    root: Path,
    settings: Settings,
    client: ModelClient,
    target: ReviewTarget,
    progress: Progress | None = None,
) -> Review:
    """Review `target` with a read-only agent in `root`; report its tool calls to `progress`."""
    from assistant.agent.runner import build_agent, policy_for

    task = review_task(target)
    conversation = Conversation(root, settings, saved=False)
    agent = build_agent(
        root, settings, client, task,
        policy=policy_for(settings, "plan", headless=True, root=root),
        tools=READ_ONLY_TOOLS, checkpoint=False, conversation=conversation,
        with_context=False, max_turns=MAX_TURNS,
    )  # fmt: skip
    summary = RunSummary()
    async for event in conversation.run(agent, task):
        summary.add(event)
        if progress is not None and isinstance(event, ToolCallStarted):
            await progress(event.brief())
    findings, remarks = parse_answer(summary.text)
    kept, dropped = filter_findings(findings, target)
    return Review(target, kept, tuple(remarks), dropped, summary.reason, summary.error)


# -- the answer ----------------------------------------------------------------------------


def parse_answer(text: str) -> tuple[list[Finding], list[str]]:
    """Split the model's answer into findings (`path:line: severity: message`) and remarks
    (every other non-empty line, bar code fences and the `no findings` line)."""
    findings: list[Finding] = []
    remarks: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("```") or line.strip(".").lower() == NO_FINDINGS:
            continue
        match = _FINDING.match(line)
        if match is None:
            remarks.append(line)
            continue
        path = match["path"].strip().removeprefix("./")
        severity = _SEVERITY[match["severity"].lower()]
        findings.append(Finding(path, int(match["line"]), severity, match["message"]))
    return findings, remarks


def filter_findings(
    findings: Iterable[Finding], target: ReviewTarget
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """Return (kept, dropped): a finding is kept when its file is in the diff and its line
    inside that file's new version."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for finding in findings:
        inside = finding.path in target.files and 1 <= finding.line <= target.lines.get(
            finding.path, 0
        )
        (kept if inside else dropped).append(finding)
    return tuple(kept), tuple(dropped)


def by_file(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Return the findings grouped by file (files in order), each file's sorted by line."""
    grouped: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: (f.path, f.line, SEVERITIES.index(f.severity))):
        grouped.setdefault(finding.path, []).append(finding)
    return grouped


def _notes(review: Review) -> list[str]:
    target, notes = review.target, []
    if target.secrets:
        notes.append(f"secrets files left out of the review: {', '.join(target.secrets)}")
    if target.cut:
        notes.append(f"the diff was cut to {DIFF_BUDGET:,} characters")
    if review.dropped:
        notes.append(f"{len(review.dropped)} finding(s) outside the diff dropped")
    if review.reason != "completed":
        notes.append(f"the review did not finish ({review.reason}) {review.error}".strip())
    return notes


def title(target: ReviewTarget) -> str:
    """Return what is reviewed, in a few words: `the uncommitted changes (2 files)`."""
    count = len(target.files)
    return f"{_what(target)} ({count} file{'' if count == 1 else 's'})"


def _what(target: ReviewTarget) -> str:
    if not target.range:
        return "the uncommitted changes"
    return f"the commit{'s' if '..' in target.range else ''} {target.range}"


def format_text(review: Review) -> str:
    """Return the findings as plain text: each file, then `  L42 warning: message` lines."""
    lines = []
    for path, found in by_file(review.findings).items():
        lines.append(path)
        lines += [f"  L{f.line} {f.severity}: {f.message}" for f in found]
    if not review.findings:
        lines.append(NO_FINDINGS)
    lines += review.remarks
    lines += [f"note: {note}" for note in _notes(review)]
    return "\n".join(lines)


def format_markdown(review: Review) -> str:
    """Return the findings as Markdown: a heading per file, a bullet per finding."""
    parts = [f"**Review** of {title(review.target)}"]
    for path, found in by_file(review.findings).items():
        bullets = "\n".join(f"- L{f.line} **{f.severity}**: {f.message}" for f in found)
        parts.append(f"**`{path}`**\n\n{bullets}")
    if not review.findings:
        parts.append(f"{NO_FINDINGS}.")
    if review.remarks:
        parts.append("\n".join(review.remarks))
    notes = _notes(review)
    if notes:
        parts.append("\n".join(f"_{note}_  " for note in notes))
    return "\n\n".join(parts)


def to_json(review: Review) -> dict[str, Any]:
    """Return the review as one JSON-ready object (range None: the uncommitted changes)."""
    return {
        "range": review.target.range,
        "files": list(review.target.files),
        "findings": [
            {"path": f.path, "line": f.line, "severity": f.severity, "message": f.message}
            for f in review.findings
        ],
        "remarks": list(review.remarks),
        "dropped": len(review.dropped),
        "secrets_left_out": list(review.target.secrets),
        "cut": review.target.cut,
        "completed": review.reason == "completed",
    }
