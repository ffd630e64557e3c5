"""A page of the repository's wiki, rendered as Markdown; its links are followed in the chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import on
from textual.widgets import Markdown


class WikiPage(Markdown):
    """Show one wiki page. A click on a link goes to `follow`, never to a browser: a page is
    repository data, and its links are other pages or places in the code."""

    def __init__(
        self, slug: str, markdown: str, follow: Callable[[str], Awaitable[None]], **kwargs: Any
    ) -> None:
        super().__init__(markdown, open_links=False, **kwargs)
        self.slug = slug
        self._follow = follow

    @on(Markdown.LinkClicked)
    async def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        """Hand the link to the chat (another page opens there; a code place is named)."""
        event.stop()
        await self._follow(event.href)
