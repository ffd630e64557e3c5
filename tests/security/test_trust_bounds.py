"""A hostile model cannot hold `assistant run` forever, flood it, or pass a cut answer off as a
completed run; and a broken index or cache does not crash it. The world stays untouched."""

from __future__ import annotations

import pytest
from harness import make_world

from assistant.testing import call, turns


@pytest.fixture
def world(tmp_path):
    world = make_world(tmp_path)
    world.user_config.write_text(
        "max_reply_seconds = 4\nmax_reply_chars = 50000\nmax_retries = 1\n"
    )
    world.freeze()
    return world


@pytest.mark.parametrize("channel", ["content", "arguments", "reasoning", "empty"])
def test_an_endless_reply_ends_the_run_as_failed(world, monkeypatch, scripted_server, channel):
    fault = {"kind": "endless", "channel": channel}
    server = scripted_server({"default_turn": {"fault": fault, "chunk_size": 512}})
    result = world.run(monkeypatch, server)
    assert result.code == 1 and result.outcome["reason"] == "failed"
    assert len(result.out) < 400_000  # the flood never reached the output whole
    world.check(server)


def test_a_reply_cut_mid_sentence_is_never_a_completed_run(world, monkeypatch, scripted_server):
    server = scripted_server({"default_turn": {"text": "The fix is to", "fault": {"kind": "cut"}}})
    result = world.run(monkeypatch, server)
    assert result.code == 1 and result.outcome["reason"] == "failed"
    assert any("cut the answer short" in e.get("message", "") for e in result.events)
    world.check(server)


def test_a_tool_call_cut_mid_arguments_runs_nothing(world, monkeypatch, scripted_server):
    cut = {"kind": "cut", "after_chunks": 3}
    server = scripted_server(
        {
            "default_turn": {
                "tool_calls": [call("run_command", command="touch made-by-a-cut-call")],
                "fault": cut,
                "chunk_size": 4,
            }
        }
    )
    result = world.run(monkeypatch, server, "--mode", "yolo")
    assert result.code == 1
    assert not (world.repo / "made-by-a-cut-call").exists()
    world.check(server)


def test_a_flood_of_tool_output_is_cut_before_the_model_sees_it(
    world, monkeypatch, scripted_server
):
    (world.repo / "huge.txt").write_text("z" * 3_000_000)
    world.freeze()
    server = scripted_server(
        turns(call("read_file", path="huge.txt"), call("run_command", command="cat huge.txt"))
    )
    world.run(monkeypatch, server)
    assert max(len(str(r.body)) for r in server.chat_requests) < 120_000
    world.check(server)
