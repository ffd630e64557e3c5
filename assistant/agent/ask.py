"""Answer one question about a repository, without tools: index, pick context, ask, stream."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from assistant.agent.prompt import ASK_ROLE, PromptContext, read_rules, system_prompt
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.llm import ModelClient, StreamRestarted, TextDelta
from assistant.security.secrets import redact

log = logging.getLogger(__name__)
MAP_TOKENS = 1_024
SNIPPETS = 4
SNIPPET_CHARS = 1_500
WIKI_PAGES = 3
WIKI_SUMMARY_CHARS = 600
WIKI_RELEVANCE = 0.5  # a page joins the prompt when it scores at least this share of the best


def gather_context(root: Path, settings: Settings, question: str, map_tokens: int) -> PromptContext:
    """Index the repository (incrementally) and pick the repo map, snippets and the summaries
    of the wiki's pages for a question."""
    from assistant.context import repo_map, search
    from assistant.context.render import render_found
    from assistant.index import IndexStore, use_index
    from assistant.llm.embeddings import semantic_signal

    semantic = semantic_signal(settings, root)

    def pick(store: IndexStore) -> PromptContext:
        ranked = search(store, question, limit=SNIPPETS, semantic=semantic)
        snippets = tuple(
            (f"{hit.chunk.path}:{hit.chunk.start_line}-{hit.chunk.end_line}",
             redact(hit.chunk.text)[:SNIPPET_CHARS])
            for hit in ranked.chunks[:SNIPPETS]
        )  # fmt: skip
        mentioned = tuple(hit.path for hit in ranked.files[:SNIPPETS])
        return PromptContext(
            repo_map=repo_map(store, map_tokens, focus=mentioned),
            snippets=snippets,
            found=tuple(render_found(ranked)),
        )

    context = use_index(root, settings, pick)
    wiki = wiki_summaries(root, question)
    if not wiki:
        return context
    found = (*context.found, "wiki pages:", *(f"  {label}" for label, _ in wiki))
    return dataclasses.replace(context, wiki=wiki, found=found)


def wiki_summaries(
    root: Path, question: str, limit: int = WIKI_PAGES
) -> tuple[tuple[str, str], ...]:
    """Return (`title (slug)`, summary) for the wiki pages that best match `question` (a page
    matching only in passing is left out), redacted and capped; none when the repository has
    no wiki or one that cannot be used."""
    from assistant.tools.wiki_search import one_line, open_wiki

    try:
        wiki = open_wiki(root)
        hits = wiki.search(question, limit) if wiki is not None else []
    except (ConfigError, OSError) as error:
        detail = error.one_line() if isinstance(error, ConfigError) else str(error)
        log.warning("the repository's wiki is left out of the context: %s", detail)
        return ()
    best = max((hit.score for hit in hits), default=0.0)
    return tuple(
        (f"{one_line(hit.page.title, 200)} ({hit.page.slug})",
         one_line(hit.page.summary, WIKI_SUMMARY_CHARS))
        for hit in hits
        if hit.score >= best * WIKI_RELEVANCE
    )  # fmt: skip


async def answer(
    client: ModelClient, root: Path, question: str, context: PromptContext
) -> AsyncIterator[TextDelta | StreamRestarted]:
    """Stream the model's answer to `question` given the picked context."""
    rules = read_rules(root)
    prompt = system_prompt(root, context, rules, role=ASK_ROLE, wiki_tool=False)
    messages = [{"role": "system", "content": prompt}, {"role": "user", "content": question}]
    async for event in client.stream_chat(messages, max_tokens=client.settings.max_output_tokens):
        if isinstance(event, TextDelta | StreamRestarted):
            yield event
