"""Batch refactors: one instruction over many targets, planned, run in parallel in scratch
worktrees, verified, and landed as commits on a new branch, resumable."""
