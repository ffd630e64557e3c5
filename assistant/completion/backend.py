"""Streamed fill-in-the-middle requests, so a suggestion can stop as soon as it is complete.

`ModelClient.complete_fim` waits for the whole answer. An editor wants less: the first line,
or the current block, and then to hang up, which spares the server the rest of the tokens and
the user the wait. Closing the stream (or cancelling the task reading it) closes the HTTP
request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import httpx
import openai

from assistant.config import Settings
from assistant.errors import EndpointError
from assistant.llm import fim
from assistant.llm.retry import to_endpoint_error

REQUEST_TIMEOUT = 30.0


class FimStream:
    """Open streamed FIM completions against the completion endpoint of `settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.effective_completion_base_url
        self.model = settings.effective_completion_model
        timeout = httpx.Timeout(
            min(settings.request_timeout, REQUEST_TIMEOUT), connect=settings.connect_timeout
        )
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url or None,
            api_key=settings.completion_api_key or settings.api_key or "not-needed",
            max_retries=0,  # a stale completion is worth nothing: no retries
            timeout=timeout,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()

    async def stream(
        self,
        prefix: str,
        suffix: str,
        *,
        repo_name: str | None,
        context_files: Sequence[fim.ContextFile],
        path: str | None,
        max_tokens: int,
        stop: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the middle as it streams, cut at the first FIM control token."""
        prompt = fim.build_prompt(
            prefix, suffix, repo_name=repo_name, context_files=context_files, path=path
        )
        # Servers take four stops at most; the caller's come first, `cut_middle` covers the rest.
        stops = list(dict.fromkeys([*stop, *fim.FIM_STOP_SEQUENCES]))[:4]
        try:
            response = await self._client.completions.create(
                model=self.model,
                prompt=prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                stop=stops,
                stream=True,
            )
        except (asyncio.CancelledError, EndpointError):
            raise
        except Exception as error:
            raise to_endpoint_error(error, self.base_url, self.model) from error
        text = ""
        try:
            async for chunk in response:
                piece = chunk.choices[0].text if chunk.choices else ""
                if not piece:
                    continue
                cut = fim.cut_middle(text + piece)
                yield cut[len(text) :]
                if len(cut) < len(text) + len(piece):
                    return
                text = cut
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except Exception as error:
            raise to_endpoint_error(error, self.base_url, self.model) from error
        finally:
            await response.close()
