"""Hermes-style tool calls parsed out of model text, whole and streamed."""

from __future__ import annotations

from loopcache.server.tool_parser import ToolCallStream, parse_tool_calls


def test_parses_calls_and_keeps_the_rest_as_content() -> None:
    text = ('Let me look.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call>\n'
            '<tool_call>{"name": "ls", "arguments": "{\\"dir\\": \\".\\"}"}</tool_call>')
    out = parse_tool_calls(text)
    assert out.content == "Let me look."
    assert [(c.name, c.arguments) for c in out.tool_calls] == [("read_file", {"path": "a.py"}), ("ls", {"dir": "."})]
    assert len({c.id for c in out.tool_calls}) == 2
    assert out.tool_calls[0].arguments_json == '{"path": "a.py"}'


def test_invalid_blocks_stay_in_content() -> None:
    for text in ("<tool_call>not json</tool_call>", '<tool_call>{"arguments": {}}</tool_call>',
                 '<tool_call>{"name": "f", "arguments": [1]}</tool_call>', 'unclosed <tool_call>{"name": "f"}'):
        out = parse_tool_calls(text)
        assert out.tool_calls == () and out.content == text


def test_plain_text_is_untouched() -> None:
    assert parse_tool_calls("  hello  ").content == "  hello  "


def test_stream_never_leaks_tool_json() -> None:
    text = 'Sure <tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call>'
    for step in (1, 2, 3, 5, 11):
        stream = ToolCallStream()
        shown = "".join(stream.feed(text[i : i + step]) for i in range(0, len(text), step))
        rest, parsed = stream.finish(text)
        assert "<" not in shown and shown + rest == "Sure"
        assert parsed.tool_calls[0].name == "f"


def test_stream_holds_back_only_a_possible_tag() -> None:
    stream = ToolCallStream()
    assert stream.feed("a <tool") == "a"
    assert stream.feed("box> b") == " <toolbox> b"
    rest, parsed = stream.finish("a <toolbox> b")
    assert rest == "" and parsed.content == "a <toolbox> b"
