"""Search results as text and JSON: one renderer per audience, all from `SearchResult`.

- `search_result_to_dict`: the JSON of `assistant search --json` (ranked files and chunks with
  scores and reasons), the one place a result is serialised.
- `render_paths`: `assistant search --files`, repository-relative paths, best first, one a line.
- `render_search`: what a person reads (the CLI, the chat's /search): ranked files with scores
  and reasons, then the best chunks' places.
- `render_snippets`: what the model reads (the search_code tool): the files, then each best
  chunk's first lines, numbered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.context.retrieve import ChunkHit, SearchResult

SNIPPET_LINES = 12  # lines of each chunk the model sees


def search_result_to_dict(result: SearchResult) -> dict[str, object]:
    """Return a search result as plain JSON-ready data."""
    return {
        "query": result.query.text,
        "identifiers": list(result.query.identifiers),
        "files": [
            {"path": hit.path, "score": round(hit.score, 6), "reasons": list(hit.reasons)}
            for hit in result.files
        ],
        "chunks": [
            {
                "path": hit.chunk.path,
                "start_line": hit.chunk.start_line,
                "end_line": hit.chunk.end_line,
                "symbol": hit.chunk.symbol,
                "score": round(hit.score, 6),
                "reasons": list(hit.reasons),
                "text": hit.chunk.text,
            }
            for hit in result.chunks
        ],
    }


def render_paths(result: SearchResult) -> str:
    """Return the ranked files' paths, one per line, and nothing else."""
    return "".join(f"{hit.path}\n" for hit in result.files)


def render_search(result: SearchResult) -> list[str]:
    """Return the lines a person reads: files with scores and reasons, then the best chunks
    (no lines when nothing was found)."""
    lines = []
    for rank, hit in enumerate(result.files, 1):
        lines.append(f"{rank:>3}. {hit.path}  ({hit.score:.3f})")
        lines += [f"       - {reason}" for reason in hit.reasons]
    if result.files and result.chunks:
        lines += ["", "best chunks:"]
        lines += [f"  {_place(hit)}  ({hit.score:.3f})" for hit in result.chunks]
    return lines


def render_found(result: SearchResult, limit: int = 5, reasons: int = 2) -> list[str]:
    """Return, for people, the best files and symbols found, each with why (a short form of
    `render_search` for the top of an answer)."""
    lines = []
    if result.files:
        lines.append("files:")
        for rank, hit in enumerate(result.files[:limit], 1):
            why = "; ".join(hit.reasons[:reasons])
            lines.append(f"  {rank}. {hit.path}" + (f"  ({why})" if why else ""))
    symbols = [hit for hit in result.chunks if hit.chunk.symbol][:limit]
    if symbols:
        lines.append("symbols:")
        for chunk_hit in symbols:
            why = "; ".join(chunk_hit.reasons[:1])
            lines.append(f"  {_place(chunk_hit)}" + (f"  ({why})" if why else ""))
    return lines


def render_snippets(result: SearchResult, limit: int) -> str:
    """Return what the model reads: up to `limit` files, then as many chunks, each with its
    first lines numbered ("" when nothing was found)."""
    if not result.chunks and not result.files:
        return ""
    parts = []
    for hit in result.chunks[:limit]:
        chunk = hit.chunk
        lines = chunk.text.splitlines()[:SNIPPET_LINES]
        body = "\n".join(f"{chunk.start_line + i:>5}  {line}" for i, line in enumerate(lines))
        parts.append(f"{chunk.path}:{chunk.start_line}-{chunk.end_line}\n{body}")
    files = ", ".join(hit.path for hit in result.files[:limit])
    return f"files: {files}\n\n" + "\n\n".join(parts)


def _place(hit: ChunkHit) -> str:
    """Return where a chunk is: path, line range and the symbol it holds."""
    chunk = hit.chunk
    label = f" {chunk.symbol}" if chunk.symbol else ""
    return f"{chunk.path}:{chunk.start_line}-{chunk.end_line}{label}"
