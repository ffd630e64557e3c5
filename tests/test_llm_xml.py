"""Qwen3-Coder XML tool calls: parsing, typing by schema, malformed calls, hiding from text."""

from __future__ import annotations

from assistant.llm.xml_tools import XmlTextFilter, split_xml_tool_calls

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "edit_file",
            "parameters": {
                "type": "object",
                "properties": {
                    "path": {"type": "string"},
                    "count": {"type": "integer"},
                    "ratio": {"type": "number"},
                    "dry": {"type": "boolean"},
                    "blocks": {"type": "array"},
                },
            },
        },
    }
]


def test_values_are_converted_by_schema_and_strings_keep_their_text():
    content = (
        "Editing now.\n<tool_call>\n<function=edit_file>\n"
        "<parameter=path>\nsrc/a.py\n</parameter>\n"
        "<parameter=count>\n3\n</parameter>\n<parameter=ratio>\n0.5\n</parameter>\n"
        "<parameter=dry>\nfalse\n</parameter>\n"
        '<parameter=blocks>\n[{"search": "a", "replace": "b"}]\n</parameter>\n'
        "</function>\n</tool_call>"
    )
    text, calls, errors = split_xml_tool_calls(content, TOOLS)
    assert text == "Editing now."
    assert errors == []
    assert calls[0].arguments == {
        "path": "src/a.py",
        "count": 3,
        "ratio": 0.5,
        "dry": False,
        "blocks": [{"search": "a", "replace": "b"}],
    }


def test_multiline_string_values_keep_inner_newlines():
    content = (
        "<tool_call>\n<function=write>\n<parameter=content>\nline 1\n\nline 3\n</parameter>\n"
        "</function>\n</tool_call>"
    )
    _, calls, _ = split_xml_tool_calls(content, None)
    assert calls[0].arguments == {"content": "line 1\n\nline 3"}


def test_two_calls_in_one_answer_are_both_parsed():
    one = "<tool_call>\n<function=a>\n<parameter=x>\n1\n</parameter>\n</function>\n</tool_call>"
    two = one.replace("=a>", "=b>")
    _, calls, _ = split_xml_tool_calls(f"{one}\n{two}", None)
    assert [c.name for c in calls] == ["a", "b"]
    assert calls[0].id != calls[1].id


def test_wrongly_typed_value_becomes_an_error_not_an_exception():
    content = (
        "<tool_call>\n<function=edit_file>\n<parameter=count>\nthree\n</parameter>\n"
        "</function>\n</tool_call>"
    )
    _, calls, errors = split_xml_tool_calls(content, TOOLS)
    assert calls == []
    assert "expected an integer" in errors[0].message


def test_call_without_function_tag_becomes_an_error():
    _, calls, errors = split_xml_tool_calls("<tool_call>\nnonsense\n</tool_call>", TOOLS)
    assert calls == [] and "<function=NAME>" in errors[0].message


def test_unterminated_call_at_end_of_text_is_still_parsed():
    content = "<tool_call>\n<function=edit_file>\n<parameter=path>\nx.py\n"
    _, calls, _ = split_xml_tool_calls(content, TOOLS)
    assert calls[0].arguments == {"path": "x.py"}


def test_text_filter_hides_a_tag_split_across_chunks():
    stream = XmlTextFilter()
    shown = "".join(stream.feed(p) for p in ["Hello <to", "ol_c", "all>\n<function=x>", " more"])
    assert shown + stream.flush() == "Hello "


def test_text_filter_releases_a_lookalike_that_is_not_a_tag():
    stream = XmlTextFilter()
    shown = stream.feed("a <tool") + stream.feed("box> b")
    assert shown + stream.flush() == "a <toolbox> b"
