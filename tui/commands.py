"""Slash commands: each parses its argument, calls the engine or the repository, shows a result.

Commands see the app only through `CommandHost`, the little they need of it. Besides the
built-ins, the user's (and a trusted project's) Markdown templates are commands too
(assistant/config/custom_commands.py): one sends its template, filled in, as the user's message.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from assistant.agent.permissions import MODES
from assistant.agent.prompt import read_user_memory
from assistant.agent.review import collect_target, format_markdown, run_review
from assistant.config.custom_commands import (
    CommandSet,
    CustomCommand,
    load_command,
    render,
    untrusted_notice,
)
from assistant.config.paths import commands_path, memory_path
from assistant.config.profiles import PROFILES
from assistant.errors import AssistantError, ConfigError
from assistant.llm.pricing import format_cost, pricing_for
from assistant.mcp.listing import format_status
from assistant.tools.memory import remember
from tui import repo
from tui.engine import ChatEngine
from tui.widgets.chat_log import ChatLog
from tui.widgets.diff_view import DiffView
from tui.widgets.question import Question
from tui.widgets.undo_conflict import UndoCommandsDialog, UndoConflictDialog
from tui.widgets.wiki_page import WikiPage

MAP_TOKENS = 1_024
CONNECT_WAIT_SECONDS = 30.0
MAX_COMPLETIONS = 12
_COMMAND_LINE = re.compile(r"/(\S*)\s*(.*)", re.S)


class CommandHost(Protocol):
    """What slash commands use of the chat app."""

    engine: ChatEngine

    @property
    def chat_log(self) -> ChatLog:
        """Return the conversation log."""
        ...

    @property
    def turn_running(self) -> bool:
        """Return whether the agent is working on a turn."""
        ...

    async def ask(self, question: Question) -> bool:
        """Show a yes/no modal and return the answer."""
        ...

    def exit(self) -> None:
        """Quit the app."""
        ...

    def show_todos(self) -> None:
        """Show the conversation's todo list (hidden when empty)."""
        ...

    async def load_custom_commands(self) -> CommandSet:
        """Read the custom commands as they are on disk now (new notices shown once)."""
        ...

    async def send_prompt(self, text: str) -> None:
        """Send `text` to the agent as the user's message."""
        ...


Handler = Callable[[CommandHost, str], Awaitable[None]]


@dataclass(frozen=True)
class SlashCommand:
    """One command: its usage line, what it does, and its handler."""

    usage: str
    help: str
    handler: Handler


async def run_slash_command(app: CommandHost, line: str) -> None:
    """Run `/name argument`: a built-in, else a custom command; an unknown name is reported."""
    match = _COMMAND_LINE.match(line)
    name, argument = (match.group(1), match.group(2)) if match else (line[1:], "")
    command = COMMANDS.get(name.lower())
    if command is not None:
        await command.handler(app, argument.strip())
        return
    custom = (await app.load_custom_commands()).get(name.lower())
    if custom is None:
        raise ConfigError(f"unknown command /{name}", hint="/help lists the commands")
    await _run_custom(app, custom, argument)


def complete_command(prefix: str, custom: CommandSet) -> list[tuple[str, str]]:
    """Return the commands (built-ins, then custom) whose names match `prefix`, as (name,
    what it does) pairs: the exact name first, then those starting with it, then the rest."""
    entries = [(name, command.help) for name, command in COMMANDS.items()]
    entries += [(c.name, _custom_detail(c)) for c in custom.commands]
    needle = prefix.lower()
    exact = [e for e in entries if e[0] == needle]
    starts = [e for e in entries if e[0].startswith(needle) and e not in exact]
    contains = [e for e in entries if needle in e[0] and e not in exact and e not in starts]
    return (exact + starts + contains)[:MAX_COMPLETIONS]


async def _run_custom(app: CommandHost, command: CustomCommand, argument: str) -> None:
    """Send the command's template, read now and filled in with `argument`, to the agent."""
    folder = commands_path(app.engine.settings)
    body = await asyncio.to_thread(load_command, command, app.engine.root, folder)
    message = render(body, argument)
    if not message:
        raise ConfigError(f"/{command.name} sends nothing: {command.path} is empty")
    await app.send_prompt(message)


def _custom_detail(command: CustomCommand) -> str:
    return f"{command.description} ({command.scope})".lstrip()


async def _help(app: CommandHost, _: str) -> None:
    rows = [f"  {c.usage:<18} {c.help}" for c in COMMANDS.values()]
    found = await app.load_custom_commands()
    if found.commands:
        rows += ["", "custom commands:"]
        rows += [f"  {'/' + c.name:<18} {_custom_detail(c)}" for c in found.commands]
    if found.untrusted_project:
        rows += ["", untrusted_notice(app.engine.root)]
    keys = (
        "Enter sends · Ctrl+J new line · ↑/↓ history · @ completes files and symbols\n"
        "Esc or Ctrl+C cancels a turn · Ctrl+C twice quits · Ctrl+T light/dark theme"
    )
    await app.chat_log.add_output("\n".join(["commands:", *rows, "", keys]))


async def _add(app: CommandHost, argument: str) -> None:
    names = shlex.split(argument)
    if not names:
        raise ConfigError("/add needs one or more file paths", hint="e.g. /add src/app.py")
    added = app.engine.conversation.add_files(names)
    await app.chat_log.add_notice(f"added: {', '.join(added) or 'nothing new'}")


async def _drop(app: CommandHost, argument: str) -> None:
    dropped = app.engine.conversation.drop_files(shlex.split(argument))
    await app.chat_log.add_notice(f"dropped: {', '.join(dropped) or 'nothing'}")


async def _files(app: CommandHost, _: str) -> None:
    files = app.engine.conversation.context_files
    text = "\n".join(f"  {name}" for name in files) if files else "  (none: /add or @mention)"
    await app.chat_log.add_output(f"files in the context:\n{text}")


async def _map(app: CommandHost, argument: str) -> None:
    tokens = int(argument) if argument.isdigit() else MAP_TOKENS
    engine = app.engine
    files = tuple(engine.conversation.context_files)
    text = await asyncio.to_thread(repo.repo_map, engine.root, engine.settings, tokens, files)
    await app.chat_log.add_output(text or "(the repo map is empty)")


async def _search(app: CommandHost, argument: str) -> None:
    if not argument:
        raise ConfigError("/search needs a query", hint="e.g. /search parse config")
    lines = await asyncio.to_thread(repo.search, app.engine.root, app.engine.settings, argument)
    await app.chat_log.add_output("\n".join(lines) or "no matches")


async def _wiki(app: CommandHost, argument: str) -> None:
    """List the wiki's pages, show one (its links followed here), or search them."""
    shown = await asyncio.to_thread(repo.wiki_view, app.engine.root, argument)
    if not shown.slug:
        await app.chat_log.add_output(shown.text)
        return

    async def follow(href: str) -> None:
        slug = repo.wiki_link(href)
        if slug is None:
            await app.chat_log.add_notice(f"link in the wiki page: {href}")
            return
        try:
            await _wiki(app, slug)
        except AssistantError as error:
            await app.chat_log.add_error(error.one_line())

    await app.chat_log.add(WikiPage(shown.slug, shown.text, follow, classes="output"))


async def _diff(app: CommandHost, _: str) -> None:
    diff = await asyncio.to_thread(app.engine.diff)
    if not diff:
        await app.chat_log.add_notice("no changes")
        return
    await app.chat_log.add(DiffView(diff, classes="diff"))


async def _undo(app: CommandHost, _: str) -> None:
    _require_idle(app, "/undo")
    plan = await asyncio.to_thread(app.engine.undo_plan)
    restore = []
    for conflict in plan.conflicts:
        if await app.ask(UndoConflictDialog(conflict)):
            restore.append((conflict.path, conflict.shown))
    commands = bool(plan.command_paths) and await app.ask(UndoCommandsDialog(plan.command_paths))
    message = await asyncio.to_thread(app.engine.undo, restore, commands)
    await app.chat_log.add_notice(message)


async def _commit(app: CommandHost, argument: str) -> None:
    _require_idle(app, "/commit")
    message = argument or "Changes made with assistant"
    await app.chat_log.add_notice(await asyncio.to_thread(app.engine.commit, message))


async def _review(app: CommandHost, argument: str) -> None:
    """Review the uncommitted changes (or a commit range) with the model, read only."""
    _require_idle(app, "/review")
    engine, log = app.engine, app.chat_log
    target = await asyncio.to_thread(collect_target, engine.root, engine.settings, argument or None)
    for name in target.secrets:
        await log.add_notice(f"a secrets file changed; not shown to the model: {name}")
    if target.empty:
        await log.add_notice("nothing to review")
        return
    count = len(target.files)
    await log.add_notice(f"reviewing {count} file{'' if count == 1 else 's'}…")
    client = await engine.connected_client(CONNECT_WAIT_SECONDS)

    async def progress(text: str) -> None:
        await log.add_notice(f"  {text}")

    review = await run_review(target.root, engine.settings, client, target, progress)
    await log.add_output(format_markdown(review), markdown=True)


async def _model(app: CommandHost, argument: str) -> None:
    if not argument:
        names = ", ".join(sorted(PROFILES))
        await app.chat_log.add_notice(
            f"model: {app.engine.model} (profile {app.engine.settings.profile}); "
            f"switch with /model PROFILE, one of: {names}"
        )
        return
    _require_idle(app, "/model")
    settings = await app.engine.switch_profile(argument)
    await app.chat_log.add_notice(f"now using {app.engine.model} (profile {settings.profile})")


async def _mode(app: CommandHost, argument: str) -> None:
    if not argument:
        modes = ", ".join(MODES)
        await app.chat_log.add_notice(f"mode: {app.engine.mode} (one of: {modes})")
        return
    app.engine.set_mode(argument)
    await app.chat_log.add_notice(f"permission mode: {argument}")


async def _memory(app: CommandHost, argument: str) -> None:
    path = memory_path(app.engine.settings)
    command, _, fact = argument.partition(" ")
    if command == "add" and fact.strip():
        await asyncio.to_thread(remember, path, " ".join(fact.split()))
        await app.chat_log.add_notice(f"remembered in {path}: {fact.strip()}")
        return
    if argument.strip():
        raise ConfigError("usage: /memory, or /memory add FACT")
    text = await asyncio.to_thread(read_user_memory, path)
    shown = text.strip() or "(empty: /memory add FACT, or ask the agent to remember something)"
    await app.chat_log.add_output(f"Your memory ({path}):\n\n{shown}", markdown=True)


async def _cost(app: CommandHost, _: str) -> None:
    conversation, settings = app.engine.conversation, app.engine.settings
    usage, pricing = conversation.usage, pricing_for(settings)
    spent = format_cost(
        conversation.cost, conversation.currency or (pricing.currency if pricing else "")
    )
    prices = "unknown for this model (set price_input_per_mtok / price_output_per_mtok)"
    if pricing is not None:
        tiers = ", ".join(f"≤{t[0]:,}: {t[1]:g}/{t[2]:g}" for t in pricing.tiers[:4])
        prices = (
            "free (a local model)"
            if not pricing.currency
            else f"{pricing.currency} per million tokens in/out by input size: {tiers}"
        )
    budget = settings.max_session_cost
    estimated = " (estimated)" if usage.estimated else ""
    lines = [
        f"this session: {spent}; tokens{estimated}: {usage.prompt_tokens:,} in, "
        f"{usage.completion_tokens:,} out; context now {conversation.context_tokens:,} of "
        f"{settings.context_window:,}",
        f"prices: {prices}",
        f"budget: {budget:g} per session" if budget > 0 else "budget: none (max_session_cost)",
    ]
    await app.chat_log.add_output("\n".join(lines))


async def _plan(app: CommandHost, _: str) -> None:
    _require_idle(app, "/plan")
    app.engine.set_mode("plan")
    await app.chat_log.add_notice(
        "plan mode: the agent only reads and searches, then asks you to approve its plan"
    )


async def _clear(app: CommandHost, _: str) -> None:
    _require_idle(app, "/clear")
    app.engine.conversation.clear()
    app.show_todos()
    await app.chat_log.clear_log()
    await app.chat_log.add_notice("new conversation")


async def _resume(app: CommandHost, _: str) -> None:
    _require_idle(app, "/resume")
    count = app.engine.conversation.resume()
    app.show_todos()
    await app.chat_log.add_notice(f"resumed the last session ({count} messages)")
    for message in app.engine.conversation.history:
        if message.get("role") == "user":
            await app.chat_log.add_user(str(message.get("content") or ""))
        elif message.get("role") == "assistant" and message.get("content"):
            await app.chat_log.add_output(str(message["content"]), markdown=True)


async def _mcp(app: CommandHost, _: str) -> None:
    registry = app.engine.mcp
    if registry.names and not registry.started:
        await app.chat_log.add_notice("starting the MCP servers…")
    statuses = await app.engine.mcp_status()
    await app.chat_log.add_output(format_status(statuses))


async def _quit(app: CommandHost, _: str) -> None:
    app.exit()


def _require_idle(app: CommandHost, command: str) -> None:
    if app.turn_running:
        raise ConfigError(f"{command} waits for the running turn", hint="Esc cancels it")


COMMANDS: dict[str, SlashCommand] = {
    "help": SlashCommand("/help", "show the commands and keys", _help),
    "add": SlashCommand("/add PATH…", "add files to the context", _add),
    "drop": SlashCommand("/drop [PATH…]", "drop files from the context (all by default)", _drop),
    "files": SlashCommand("/files", "list the files in the context", _files),
    "map": SlashCommand("/map [TOKENS]", "show the ranked repo map", _map),
    "search": SlashCommand("/search QUERY", "search the code index", _search),
    "wiki": SlashCommand(
        "/wiki [SLUG|QUERY]", "the repository's wiki: its pages, one page, or a search", _wiki
    ),
    "diff": SlashCommand("/diff", "show the work tree's changes", _diff),
    "undo": SlashCommand("/undo", "undo the agent's changes of the last turn", _undo),
    "commit": SlashCommand("/commit [MESSAGE]", "commit the changes", _commit),
    "review": SlashCommand(
        "/review [RANGE]", "the model reviews the changes (or commits A..B), read only", _review
    ),
    "model": SlashCommand("/model [PROFILE]", "show or switch the model profile", _model),
    "mode": SlashCommand("/mode [MODE]", "permission mode: ask, auto-edit, yolo or plan", _mode),
    "plan": SlashCommand("/plan", "plan first: read only until you approve the plan", _plan),
    "memory": SlashCommand(
        "/memory [add FACT]", "show your memory (joined to every prompt), or add a fact", _memory
    ),
    "clear": SlashCommand("/clear", "start a new conversation", _clear),
    "resume": SlashCommand("/resume", "continue the last saved conversation", _resume),
    "cost": SlashCommand("/cost", "what this session cost (money, tokens), the prices", _cost),
    "mcp": SlashCommand("/mcp", "MCP servers: state, tools, resources (@server:name)", _mcp),
    "quit": SlashCommand("/quit", "leave", _quit),
}
