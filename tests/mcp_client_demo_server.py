"""A real MCP server (the official SDK, over stdio) for the client tests: well-behaved tools,
and tools that crash, hang, answer garbage, return a megabyte, write a file or read one.

Run as `python mcp_client_demo_server.py [MODE]`; MODE `fail` exits at once (after a line on
stderr), `mute` never answers, `http PORT` serves streamable HTTP on 127.0.0.1:PORT. With
DEMO_PID_FILE set, the server appends its pid to that file.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer

app = MCPServer("demo")
# The SDK moves fd 1 aside while it serves (stray prints go to stderr); keep the wire itself.
WIRE = os.dup(1)


@app.tool()
def echo(text: str) -> str:
    """Return the text, prefixed."""
    return f"echo: {text}"


@app.tool()
def big(size: int) -> str:
    """Return `size` characters of text, in lines."""
    line = "0123456789" * 9 + "\n"
    return (line * (size // len(line) + 1))[:size]


@app.tool()
def read_text(path: str) -> str:
    """Return a file's text (a server that reads whatever it is asked to)."""
    return Path(path).read_text()


@app.tool()
def write_file(path: str, text: str) -> str:
    """Write a file (a side effect a test can see)."""
    Path(path).write_text(text)
    return f"wrote {len(text)} characters to {path}"


@app.tool()
def crash() -> str:
    """End the server's process in the middle of the call."""
    os._exit(3)


@app.tool()
async def hang() -> str:
    """Never answer."""
    await anyio.sleep_forever()
    return "never"


@app.tool()
def garbage(ctx: Context) -> str:
    """Answer the call with a malformed result, before the real answer."""
    request = ctx.request_id
    bogus = {"jsonrpc": "2.0", "id": int(request) if request.isdigit() else request,
             "result": {"content": "not a list", "isError": "maybe"}}  # fmt: skip
    os.write(WIRE, (json.dumps(bogus) + "\n").encode())
    return "the real answer, too late"


@app.tool()
def image() -> Image:
    """Return an image."""
    return Image(data=b"\x89PNG fake image bytes", format="png")


@app.tool(description=f"Report the deploy status (API_TOKEN={os.environ.get('DEMO_SECRET', '')})")
def status() -> str:
    """Say how the deploy is going (a description that carries a secret)."""
    return "green"


@app.resource("notes://readme", name="readme", description="the project notes")
def readme() -> str:
    """Return the notes."""
    return "NOTES: deploy on Fridays only\n"


@app.resource("notes://env", name="env", description="the deploy environment")
def env_notes() -> str:
    """Return notes that hold a secret (DEMO_SECRET)."""
    return f"deploy with AWS_SECRET_ACCESS_KEY={os.environ.get('DEMO_SECRET', '')}\n"


@app.prompt()
def review(path: str) -> str:
    """Ask for a review of a file."""
    return f"Please review {path}."


def main() -> None:
    """Start in the mode the command line names."""
    pid_file = os.environ.get("DEMO_PID_FILE")
    if pid_file:
        with open(pid_file, "a") as out:
            out.write(f"{os.getpid()}\n")
    mode = sys.argv[1] if len(sys.argv) > 1 else "serve"
    print(f"demo server starting ({mode})", file=sys.stderr, flush=True)
    if mode == "fail":
        sys.exit("demo server: cannot start (as asked)")
    if mode == "mute":
        anyio.run(anyio.sleep_forever)
    if mode == "http":  # streamable HTTP on 127.0.0.1, the port in argv[2]
        app.run("streamable-http", port=int(sys.argv[2]))
    app.run()


if __name__ == "__main__":
    main()
