"""Answer one question about a repository, without tools: index, pick context, ask, stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from assistant.agent.prompt import ASK_ROLE, PromptContext, read_rules, system_prompt
from assistant.config import Settings
from assistant.llm import ModelClient, StreamRestarted, TextDelta
from assistant.security.secrets import redact

MAP_TOKENS = 1_024
SNIPPETS = 4
SNIPPET_CHARS = 1_500


def gather_context(root: Path, settings: Settings, question: str, map_tokens: int) -> PromptContext:
    """Index the repository (incrementally) and pick the repo map and snippets for a question."""
    from assistant.context import repo_map, search
    from assistant.context.render import render_found
    from assistant.index import IndexStore, use_index

    def pick(store: IndexStore) -> PromptContext:
        ranked = search(store, question, limit=SNIPPETS)
        snippets = tuple(
            (f"{hit.chunk.path}:{hit.chunk.start_line}-{hit.chunk.end_line}",
             redact(hit.chunk.text[:SNIPPET_CHARS]))
            for hit in ranked.chunks[:SNIPPETS]
        )  # fmt: skip
        mentioned = tuple(hit.path for hit in ranked.files[:SNIPPETS])
        return PromptContext(
            repo_map=repo_map(store, map_tokens, focus=mentioned),
            snippets=snippets,
            found=tuple(render_found(ranked)),
        )

    return use_index(root, settings, pick)


async def answer(
    client: ModelClient, root: Path, question: str, context: PromptContext
) -> AsyncIterator[TextDelta | StreamRestarted]:
    """Stream the model's answer to `question` given the picked context."""
    rules = read_rules(root)
    prompt = system_prompt(root, context, rules, role=ASK_ROLE)
    messages = [{"role": "system", "content": prompt}, {"role": "user", "content": question}]
    async for event in client.stream_chat(messages, max_tokens=client.settings.max_output_tokens):
        if isinstance(event, TextDelta | StreamRestarted):
            yield event
