"""The scripted OpenAI-compatible server that tests and replays run against."""

from assistant.testing.script import Fault, Script, ScriptedToolCall, Turn, load_script
from assistant.testing.server import RecordedRequest, ScriptedServer

__all__ = [
    "Fault",
    "RecordedRequest",
    "Script",
    "ScriptedServer",
    "ScriptedToolCall",
    "Turn",
    "load_script",
]
