"""`assistant ask QUESTION` and `assistant demo`: a question about a repository, answered."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.cli.common import add_model_flags, add_repo_flag, repo_root, settings_from_args

DEMO_REPO = Path(__file__).resolve().parents[2] / "examples" / "python-inventory"
DEMO_QUESTION = "How does placing an order reserve stock? Name the functions involved."


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `ask` and `demo` subcommands."""
    ask = subparsers.add_parser("ask", help="ask a question about the repository (no edits)")
    ask.add_argument("question", help="the question")
    ask.add_argument("--map-tokens", type=int, default=1024, help="repo map budget (1024)")
    add_model_flags(ask)
    add_repo_flag(ask)
    ask.set_defaults(func=run_ask)
    demo = subparsers.add_parser(
        "demo", help="index the bundled example repository and ask the model about it"
    )
    add_model_flags(demo)
    demo.set_defaults(func=run_demo, question=DEMO_QUESTION, repo=DEMO_REPO, map_tokens=1024)


def run_demo(args: argparse.Namespace) -> int:
    """Run `ask` on the bundled example repository."""
    if not DEMO_REPO.is_dir():
        print(f"error: the example repository is not here ({DEMO_REPO})", file=sys.stderr)
        return 1
    print(f"Repository: {DEMO_REPO}\nQuestion:   {DEMO_QUESTION}\n", flush=True)
    return run_ask(args)


def run_ask(args: argparse.Namespace) -> int:
    """Index the repository, pick context, and stream the model's answer."""
    from assistant.agent.ask import answer, gather_context
    from assistant.llm import StreamRestarted
    from assistant.llm.connect import connect_model

    root = repo_root(args)
    settings = settings_from_args(args, root)
    context = gather_context(root, settings, args.question, args.map_tokens)
    print("What the context engine found (the index alone, no model):", file=sys.stderr)
    for line in context.found or ("nothing matched the question",):
        print(f"  {line}", file=sys.stderr)
    print(f"[context: repo map + {len(context.snippets)} snippets]\n", file=sys.stderr)

    async def stream() -> None:
        notice = lambda text: print(f"note: {text}\n", file=sys.stderr)  # noqa: E731
        async with connect_model(settings, notice=notice) as client:
            print(f"Answer from the model ({client.model}):", file=sys.stderr, flush=True)
            async for event in answer(client, root, args.question, context):
                if isinstance(event, StreamRestarted):
                    print("\n[connection lost; the answer restarts]", flush=True)
                else:
                    print(event.text, end="", flush=True)
        print()

    import asyncio  # here, not at start-up: `assistant index` has no use for it

    asyncio.run(stream())
    return 0
