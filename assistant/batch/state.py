"""A batch's state on disk: what each target came to, so an interrupted batch can resume."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.errors import AssistantError

STATUSES = ("pending", "running", "done", "unchanged", "failed")


@dataclass(frozen=True)
class TargetState:
    """One target's outcome so far."""

    path: str
    status: str = "pending"
    commit: str = ""
    error: str = ""
    tokens: int = 0
    added: int = 0
    removed: int = 0


@dataclass
class BatchState:
    """The whole batch: instruction, branch, base commit and every target's state."""

    path: Path
    instruction: str
    branch: str
    base: str
    targets: dict[str, TargetState] = field(default_factory=dict)
    verify: str | None = None

    def save(self) -> None:
        """Write the state atomically (a crash leaves the previous state whole)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "instruction": self.instruction,
            "branch": self.branch,
            "base": self.base,
            "verify": self.verify,
            "targets": [asdict(t) for t in self.targets.values()],
        }
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(data, indent=2))
        os.replace(temp, self.path)

    @classmethod
    def load(cls, path: Path) -> BatchState:
        """Read a saved state; targets that were running are pending again."""
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise AssistantError(f"cannot read batch state {path}: {error}") from error
        targets = {}
        for raw in data["targets"]:
            target = TargetState(**raw)
            if target.status == "running":
                target = TargetState(target.path, "pending")
            targets[target.path] = target
        return cls(
            path, data["instruction"], data["branch"], data["base"], targets, data.get("verify")
        )

    def counts(self) -> dict[str, int]:
        """Return how many targets are in each status."""
        counts = dict.fromkeys(STATUSES, 0)
        for target in self.targets.values():
            counts[target.status] += 1
        return counts

    def tokens(self) -> int:
        """Return the tokens all targets used so far."""
        return sum(t.tokens for t in self.targets.values())


def state_dir(cache_root: Path, repo_root: Path) -> Path:
    """Return the folder of one repository's batch states."""
    digest = hashlib.sha256(str(repo_root.resolve()).encode()).hexdigest()[:16]
    return cache_root / "batches" / f"{repo_root.name}-{digest}"


def state_path(cache_root: Path, repo_root: Path, branch: str) -> Path:
    """Return the state file of the batch on `branch`."""
    return state_dir(cache_root, repo_root) / f"{branch.replace('/', '-')}.json"


def latest_state(cache_root: Path, repo_root: Path) -> Path | None:
    """Return the most recently written batch state of a repository, if any."""
    folder = state_dir(cache_root, repo_root)
    files = (
        sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    )
    return files[-1] if files else None
