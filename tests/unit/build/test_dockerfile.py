"""The Dockerfile parser: lines, directives, continuations, forms, heredocs, instructions and
their errors, and fuzzing: malformed input is one clear error (InvalidArgument), never a crash."""

from __future__ import annotations

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build import instructions as ins
from dockyard.services.engine.build.dockerfile import ParseError, parse
from dockyard.services.engine.build.instructions import parse_node
from hypothesis import given, settings
from hypothesis import strategies as st


def one(text: str) -> ins.Instruction:
    nodes = parse(text).nodes
    assert len(nodes) == 1
    return parse_node(nodes[0])


def test_lines_comments_and_continuations() -> None:
    text = (
        "# a comment\n"
        "\n"
        "FROM busybox\n"
        "RUN echo a && \\\n"
        "    # a comment inside is dropped\n"
        "\n"
        "    echo b\n"
        '  cmd ["sh"]\n'
    )
    nodes = parse(text).nodes
    assert [n.command for n in nodes] == ["from", "run", "cmd"]
    assert nodes[1].args == "echo a &&     echo b"
    assert (nodes[1].line, nodes[1].end_line) == (4, 7)
    assert nodes[2].json == ["sh"]
    assert nodes[2].line == 8


def test_directives_only_at_the_top() -> None:
    parsed = parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n b\n")
    assert parsed.escape == "`"
    assert parsed.directives["syntax"] == "docker/dockerfile:1"
    assert parsed.nodes[1].args == "a  b"
    late = parse("FROM x\n# escape=`\nRUN a `\n")
    assert late.escape == "\\"
    assert late.nodes[1].args == "a `"


def test_directive_errors() -> None:
    with pytest.raises(ParseError, match="line 2: only one escape parser directive"):
        parse("# escape=`\n# escape=\\\nFROM x\n")
    with pytest.raises(ParseError, match="invalid escape token"):
        parse("# escape=x\nFROM x\n")


def test_escaped_escape_does_not_continue() -> None:
    nodes = parse("FROM x\nRUN echo a\\\\\nRUN b\n").nodes
    assert [n.command for n in nodes] == ["from", "run", "run"]


def test_heredocs() -> None:
    text = "FROM x\nRUN <<EOF\necho one\n  echo two\nEOF\nCOPY <<-'A' <<B /dst/\n\tliteral $x\n\tA\nb\nB\nCMD x\n"
    nodes = parse(text).nodes
    run, copy = nodes[1], nodes[2]
    assert run.heredocs[0].body == "echo one\n  echo two\n"
    assert run.heredocs[0].expand
    assert (run.line, run.end_line) == (2, 5)
    assert [h.name for h in copy.heredocs] == ["A", "B"]
    assert copy.heredocs[0].body == "literal $x\n"
    assert not copy.heredocs[0].expand
    assert nodes[3].line == 11


def test_unterminated_heredoc() -> None:
    with pytest.raises(ParseError, match="line 2: unterminated heredoc EOF"):
        parse("FROM x\nRUN <<EOF\necho\n")


def test_unknown_instruction_names_its_line() -> None:
    with pytest.raises(
        ParseError, match="dockerfile parse error on line 3: unknown instruction: FOO"
    ):
        parse("FROM x\n\nfoo bar\n")


def test_empty_dockerfile() -> None:
    with pytest.raises(InvalidArgument, match="cannot be empty"):
        parse("# only a comment\n\n")


def test_instructions() -> None:
    assert one("FROM busybox:1 AS Build") == ins.From(None, "busybox:1", "build", "")  # type: ignore[arg-type]
    run = one("RUN --mount=type=cache,target=/c --network=none echo hi")
    assert isinstance(run, ins.Run)
    assert run.command == ("echo hi",) and run.shell_form
    assert run.mounts == ("type=cache,target=/c",) and run.network == "none"
    exec_form = one('ENTRYPOINT ["/bin/app", "-v"]')
    assert isinstance(exec_form, ins.Command)
    assert exec_form.command == ("/bin/app", "-v") and not exec_form.shell_form
    env = one('ENV A=1 B="two words" C=\\$x')
    assert isinstance(env, ins.KeyValues)
    assert env.pairs == (("A", "1"), ("B", '"two words"'), ("C", "\\$x"))
    legacy = one("ENV NAME the rest of it")
    assert isinstance(legacy, ins.KeyValues) and legacy.pairs == (("NAME", "the rest of it"),)
    copy = one("COPY --from=build --chown=1:2 --chmod=600 a b* /dst/")
    assert isinstance(copy, ins.Copy)
    assert copy.sources == ("a", "b*") and copy.dest == "/dst/"
    assert (copy.source_stage, copy.chown, copy.chmod) == ("build", "1:2", "600")
    arg = one("ARG A B=2")
    assert isinstance(arg, ins.Arg) and arg.pairs == (("A", None), ("B", "2"))
    health = one("HEALTHCHECK --interval=5s CMD wget -q localhost")
    assert isinstance(health, ins.Healthcheck)
    assert health.test == ("CMD-SHELL", "wget -q localhost")
    assert health.options == (("interval", "5s"),)
    assert one("HEALTHCHECK NONE") == ins.Healthcheck(None, ("NONE",))  # type: ignore[arg-type]
    volume = one('VOLUME ["/a", "/b"]')
    assert isinstance(volume, ins.Words) and volume.words == ("/a", "/b")
    onbuild = one("ONBUILD RUN echo later")
    assert isinstance(onbuild, ins.OnBuild) and onbuild.trigger == "RUN echo later"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM", "FROM requires either one or three arguments"),
        ("FROM a b", "FROM requires either one or three arguments"),
        ("FROM a AS 1x", "invalid name for build stage"),
        ("RUN --bogus=1 x", "unknown flag: bogus"),
        ("COPY --from=a --from=b x y", "duplicate flag specified: from"),
        ("COPY onlyone", "COPY requires at least two arguments"),
        ("ENV", "ENV requires at least one argument"),
        ("ENV A", "ENV must have two arguments"),
        ("ENV A=1 B", 'can\'t find = in "B"'),
        ("LABEL =x", "LABEL names can not be blank"),
        ("SHELL sh -c", "SHELL requires the arguments to be in JSON form"),
        ('CMD ["sh", 1]', "arrays must be comprised of strings only"),
        ("HEALTHCHECK PING x", 'Unknown type "PING"'),
        ("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
        ("STOPSIGNAL A B", "STOPSIGNAL requires exactly one argument"),
        ("WORKDIR", "WORKDIR requires exactly one argument"),
        ("RUN", "RUN requires at least one argument"),
    ],
)
def test_instruction_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        one(text)
    assert "line 1" in str(caught.value)


def test_parse_words_keeps_quotes_for_the_expansion() -> None:
    assert ins.parse_words("a=\"b c\" d\\ e 'f g'") == ['a="b c"', "d\\ e", "'f g'"]


LINE = st.text(
    alphabet=st.sampled_from(list("FROMRUNCOPYENVARGabc =\"'\\`$}{[]<-#\t:,/")), max_size=40
)


@settings(max_examples=120, deadline=None)
@given(st.lists(LINE, max_size=8))
def test_fuzzed_dockerfiles_parse_or_fail_cleanly(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        for node in parse(text).nodes:
            parse_node(node)
    except InvalidArgument as err:
        assert "\n" not in str(err)  # one clear line


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_fuzzed_words_expand_or_fail_cleanly(text: str) -> None:
    from dockyard.services.engine.build import shellwords

    try:
        shellwords.words(text, {"A": "x y"})
        shellwords.word(text, {"A": "x"}, escape="`")
    except InvalidArgument:
        pass
