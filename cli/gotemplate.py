"""Go text/template, in the subset docker users write in `--format`.

    {{.Name}}  {{.State.Running}}  {{json .Config}}  {{index .Labels "k"}}  {{.A | upper}}
    {{range .Args}}{{.}} {{end}}  {{if .State.Running}}up{{else}}down{{end}}  {{with .X}}…{{end}}
    {{join .Names ","}}  {{println .Id}}  {{printf "%s-%d" .Name 3}}  {{len .Args}}
    {{- trims space -}}   variables: {{$x := .Name}}{{$x}}  {{$}}

Values print as Go prints them: true/false, "<no value>" for a missing field, map[k:v] for
maps, [a b] for lists; `json` encodes like Go's encoding/json (compact, <>& escaped).
Field names match the data's keys exactly (docker's inspect JSON uses Go's names), with a
case-insensitive fallback. Errors raise `TemplateError` with a one-line message.

A plain dict answers a missing key with "<no value>" (a Go map). A `Context` (docker's struct
contexts: ps rows, inspect documents) fails as Go does, with where it failed:

    template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *formatter.…
    template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"

(a chain of fields is placed at its second field, as Go's parser places it). A callable value
takes arguments as a Go method does: `{{.Label "k"}}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class TemplateError(Exception):
    pass


class Context(dict[str, Any]):
    """A dict that stands for one of docker's Go structs: a missing field is an error.

    `type_name` is the Go type docker names ("*formatter.ContainerContext"); "map" is the raw
    JSON map docker's inspect falls back to (its error: `map has no entry for key`)."""

    def __init__(self, items: Any = (), type_name: str = "map") -> None:
        super().__init__(items)
        self.type_name = type_name

    def missing(self, name: str) -> str:
        if self.type_name == "map":
            return f'map has no entry for key "{name}"'
        return f"can't evaluate field {name} in type {self.type_name}"


class _Field(str):
    """A field chain token (".State.Running"), knowing where it stands in the template:
    "line:col" as Go reports it."""

    where: str = "1:0"


NO_VALUE = object()
_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:\\.|[^"\\])*"|`[^`]*`)|(?P<num>-?\d+(?:\.\d+)?)|(?P<field>(?:\$\w*)?(?:\.[\w]+)+|\.)|(?P<var>\$\w*)|(?P<op>:=|=|\||\(|\))|(?P<ident>[A-Za-z_]\w*))"""
)


# -- parsing -----------------------------------------------------------------------------------


@dataclass
class Node:
    kind: str  # text | action | if | range | with | define
    text: str = ""
    pipeline: list[Any] = field(default_factory=list)
    body: list[Node] = field(default_factory=list)
    otherwise: list[Node] = field(default_factory=list)
    assign: str = ""


def parse(source: str) -> list[Node]:
    tokens: list[tuple[str, str, _At]] = []
    position = 0
    for match in _ACTION.finditer(source):
        text = source[position : match.start()]
        if match.group(1):
            text = text.rstrip()
        tokens.append(("text", text, _At()))
        action = match.group(2)
        start = match.start(2) + len(action) - len(action.lstrip())
        line_start = source.rfind("\n", 0, start) + 1
        tokens.append(
            ("action", action.strip(), _At(source.count("\n", 0, start) + 1, start - line_start))
        )
        position = match.end()
        if match.group(3):
            rest = source[position:]
            position += len(rest) - len(rest.lstrip())
    tokens.append(("text", source[position:], _At()))
    nodes, _ = _block(tokens, 0, top=True)
    return nodes


@dataclass(frozen=True)
class _At:
    """A place in the template: Go's line (from 1) and column (bytes from the line's start)."""

    line: int = 1
    col: int = 0

    def __add__(self, columns: int) -> _At:
        return _At(self.line, self.col + columns)


def _block(tokens: list[tuple[str, str, _At]], i: int, top: bool = False) -> tuple[list[Node], int]:
    nodes: list[Node] = []
    while i < len(tokens):
        kind, value, offset = tokens[i]
        i += 1
        if kind == "text":
            if value:
                nodes.append(Node("text", value))
            continue
        word = value.split(None, 1)[0] if value else ""
        if word in ("end", "else"):
            if top:
                raise TemplateError(f"unexpected {{{{{word}}}}}")
            return nodes, i - 1
        if word.startswith("/*"):
            continue
        if word in ("if", "range", "with"):
            node = Node(word)
            expression, at = value[len(word) :], offset + len(word)
            if word == "range" and ":=" in expression:
                assign, _, rest = expression.partition(":=")
                node.assign, at, expression = assign.strip(), at + len(assign) + 2, rest
            node.pipeline = _pipeline(expression, at)
            node.body, i = _block(tokens, i)
            i = _finish(node, tokens, i, word)
            nodes.append(node)
            continue
        node = Node("action")
        if ":=" in value and value.split(":=")[0].strip().startswith("$"):
            assign, _, value = value.partition(":=")
            node.assign, offset = assign.strip(), offset + len(assign) + 2
        node.pipeline = _pipeline(value, offset)
        nodes.append(node)
    if not top:
        raise TemplateError("unexpected EOF: a block is not closed with {{end}}")
    return nodes, i


def _finish(node: Node, tokens: list[tuple[str, str, _At]], i: int, word: str) -> int:
    """`node`'s body ended at tokens[i] ({{else …}} or {{end}}): read the rest of the block."""
    if i >= len(tokens):
        raise TemplateError(f"unexpected EOF: unclosed {{{{{word}}}}}")
    _, action, offset = tokens[i]
    if action == "end":
        return i + 1
    rest = action[len("else") :].strip()
    if rest.split(None, 1)[:1] in (["if"], ["with"]):  # {{else if …}}: a nested block, one end
        kind = rest.split(None, 1)[0]
        at = offset + action.index(kind) + len(kind)
        nested = Node(kind, pipeline=_pipeline(rest[len(kind) :], at))
        nested.body, j = _block(tokens, i + 1)
        node.otherwise = [nested]
        return _finish(nested, tokens, j, kind)
    node.otherwise, j = _block(tokens, i + 1)
    if j >= len(tokens) or tokens[j][1] != "end":
        raise TemplateError(f"unexpected EOF: unclosed {{{{{word}}}}}")
    return j + 1


def _pipeline(text: str, offset: _At = _At()) -> list[Any]:
    """A pipeline: a list of commands, each a list of operands."""
    items = _tokens(text, offset)
    commands: list[list[Any]] = [[]]
    stack: list[list[list[Any]]] = []
    for kind, value in items:
        if kind == "op" and value == "|":
            commands.append([])
        elif kind == "op" and value == "(":
            stack.append(commands)
            commands = [[]]
        elif kind == "op" and value == ")":
            if not stack:
                raise TemplateError("unexpected )")
            inner = commands
            commands = stack.pop()
            commands[-1].append(("pipe", inner))
        elif kind == "chain" and commands[-1] and commands[-1][-1][0] == "pipe":
            commands[-1][-1] = ("chain", (commands[-1][-1][1], value))
        else:
            commands[-1].append((kind, value))
    if stack:
        raise TemplateError("unclosed (")
    if any(not c for c in commands):
        raise TemplateError(f"missing value in pipeline: {text.strip()!r}")
    return commands


def _tokens(text: str, offset: _At = _At()) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise TemplateError(f"bad character in action: {text[position:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        value: str = match.group(kind)
        start = match.start(kind)
        if kind == "field":
            value = _placed(value, offset + start)
        if kind == "field" and start > 0 and text[start - 1] == ")":
            kind = "chain"  # (pipeline).Field: Go's chain node, the fields of its value
        out.append((kind, value))
        position = match.end()
    return out


def _placed(chain: str, start: _At) -> _Field:
    """The field token `chain` found at `start`, knowing where Go places it: a chain (".A.B")
    stands where its second field does."""
    field = _Field(chain)
    second = chain.find(".", 1)
    at = start + second if chain.startswith(".") and second > 0 else start
    field.where = f"{at.line}:{at.col}"
    return field


# -- execution ---------------------------------------------------------------------------------


def render(source: str, data: Any) -> str:
    return execute(parse(source), data)


def execute(nodes: list[Node], data: Any, variables: dict[str, Any] | None = None) -> str:
    scope = {"$": data} if variables is None else variables
    out: list[str] = []
    for node in nodes:
        out.append(_node(node, data, scope))
    return "".join(out)


def _node(node: Node, dot: Any, scope: dict[str, Any]) -> str:
    if node.kind == "text":
        return node.text
    if node.kind == "action":
        value = _run(node.pipeline, dot, scope)
        if node.assign:
            scope[node.assign] = value
            return ""
        return to_text(value)
    value = _run(node.pipeline, dot, scope)
    if node.kind == "if":
        return execute(node.body if truthy(value) else node.otherwise, dot, scope)
    if node.kind == "with":
        return (
            execute(node.body, value, scope)
            if truthy(value)
            else execute(node.otherwise, dot, scope)
        )
    items = list(value.items()) if isinstance(value, dict) else list(value or [])
    if not items:
        return execute(node.otherwise, dot, scope)
    parts = []
    for item in items:
        element = item[1] if isinstance(value, dict) else item
        if node.assign:
            names = [n.strip() for n in node.assign.split(",")]
            if len(names) == 2:
                scope[names[0]], scope[names[1]] = (
                    (item[0] if isinstance(value, dict) else items.index(item)),
                    element,
                )
            else:
                scope[names[0]] = element
        parts.append(execute(node.body, element, scope))
    return "".join(parts)


def _run(pipeline: list[Any], dot: Any, scope: dict[str, Any]) -> Any:
    value: Any = NO_VALUE
    for i, command in enumerate(pipeline):
        extra = [] if i == 0 else [value]
        value = _command(command, dot, scope, extra)
    return value


def _command(command: list[Any], dot: Any, scope: dict[str, Any], piped: list[Any]) -> Any:
    kind, head = command[0]
    if kind == "ident":
        if head in ("true", "false"):
            return head == "true"
        if head == "nil":
            return None
        if head not in FUNCTIONS:
            raise TemplateError(f'function "{head}" not defined')
        args = [_operand(op, dot, scope) for op in command[1:]] + piped
        return FUNCTIONS[head](*args)
    if kind == "field":
        method = _operand(command[0], dot, scope)
        if callable(method):  # a Go method: {{.Label "k"}}
            args = [_operand(op, dot, scope) for op in command[1:]] + piped
            return _call(method, head, args)
    if len(command) > 1 or piped:
        raise TemplateError(f"can't give argument to non-function {head}")
    return _operand(command[0], dot, scope)


def _call(method: Any, chain: str, args: list[Any]) -> Any:
    """A method of docker's contexts (each takes one string, as Label does), checked as Go
    checks a call: the number of arguments, then their type."""
    where = getattr(chain, "where", "1:0")
    name = chain.rsplit(".", 1)[-1]
    at = f'template: :{where}: executing "" at <{chain}>'
    if len(args) != 1:
        raise TemplateError(f"{at}: wrong number of args for {name}: want 1 got {len(args)}")
    if not isinstance(args[0], str):
        line, _, column = where.partition(":")
        found = to_text(args[0])
        place = f"{line}:{int(column or 0) + len(chain) + 1}"  # the argument after the field
        raise TemplateError(
            f'template: :{place}: executing "" at <{found}>: expected string; found {found}'
        )
    return method(*args)


def _operand(operand: tuple[str, Any], dot: Any, scope: dict[str, Any]) -> Any:
    kind, value = operand
    if kind == "str":
        return json.loads(value) if value.startswith('"') else value[1:-1]
    if kind == "num":
        return float(value) if "." in value else int(value)
    if kind == "pipe":
        return _run(value, dot, scope)
    if kind == "chain":  # (pipeline).A.B
        pipeline, path = value
        current = _run(pipeline, dot, scope)
        for name in filter(None, path.split(".")):
            current = _field(current, name, path)
        return current
    if kind == "var":
        if value not in scope:
            raise TemplateError(f"undefined variable: {value}")
        return scope[value]
    if kind == "field":
        base, _, path = value.partition(".")
        current = scope.get(base, NO_VALUE) if base.startswith("$") else dot
        for name in filter(None, path.split(".")):
            current = _field(current, name, value)
        return current
    if kind == "ident":
        return _command([operand], dot, scope, [])
    raise TemplateError(f"unexpected {value!r}")


def _field(value: Any, name: str, chain: str = "") -> Any:
    if isinstance(value, dict):
        if name in value:
            return value[name]
        lowered = {str(k).lower(): v for k, v in value.items()}
        found = lowered.get(name.lower(), NO_VALUE)
        if found is NO_VALUE and isinstance(value, Context):
            where = getattr(chain, "where", "1:0")
            raise TemplateError(
                f'template: :{where}: executing "" at <{chain}>: {value.missing(name)}'
            )
        return found
    if value is NO_VALUE or value is None:
        return NO_VALUE
    raise TemplateError(f"can't evaluate field {name} in type {_type(value)}")


def _type(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float64", str: "string", list: "[]interface {}"}.get(
        type(value), "interface {}"
    )


# -- values ----------------------------------------------------------------------------------


def truthy(value: Any) -> bool:
    return value is not NO_VALUE and bool(value)


def to_text(value: Any) -> str:
    if value is NO_VALUE:
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{to_text(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(to_text(v) for v in value) + "]"
    return str(value)


def go_json(value: Any) -> str:
    if value is NO_VALUE:
        value = None
    text = json.dumps(_data(value), separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _data(value: Any) -> Any:
    """`value` without its methods (callables), as Go's JSON encoder leaves them out; a
    formatter's row (`ps`, `images`… rows: a Context of a Go type) with its keys sorted, as
    docker marshals those through a map."""
    if isinstance(value, Context) and value.type_name != "map":
        return {k: _data(v) for k, v in sorted(value.items()) if not callable(v)}
    if isinstance(value, dict):
        return {k: _data(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple):
        return [_data(v) for v in value]
    return value


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key, NO_VALUE)
        elif isinstance(value, list | tuple) and isinstance(key, int):
            if not 0 <= key < len(value):
                raise TemplateError(f"index out of range: {key}")
            value = value[key]
        else:
            raise TemplateError(f"can't index item of type {_type(value)}")
    return value


def _printf(fmt: str, *args: Any) -> str:
    converted = re.sub(r"%v", "%s", fmt.replace("%q", '"%s"').replace("%t", "%s"))
    try:
        return converted % tuple(
            to_text(a) if isinstance(a, bool | dict | list) else a for a in args
        )
    except (TypeError, ValueError) as err:
        raise TemplateError(f"printf: {err}") from None


def _truncate(value: Any, length: int) -> str:
    text = to_text(value)
    return text[:length]


def _pad(value: Any, left: int, right: int) -> str:
    return " " * left + to_text(value) + " " * right


FUNCTIONS: dict[str, Any] = {
    "json": go_json,
    "upper": lambda v: to_text(v).upper(),
    "lower": lambda v: to_text(v).lower(),
    "title": lambda v: to_text(v).title(),
    "join": lambda v, sep: sep.join(to_text(x) for x in (v or [])),
    "split": lambda v, sep: to_text(v).split(sep),
    "index": _index,
    "len": lambda v: len(v) if v is not NO_VALUE and v is not None else 0,
    "println": lambda *a: " ".join(to_text(x) for x in a) + "\n",
    "print": lambda *a: "".join(to_text(x) for x in a),
    "printf": _printf,
    "truncate": _truncate,
    "pad": _pad,
    "not": lambda v: not truthy(v),
    "and": lambda *a: next((x for x in a if not truthy(x)), a[-1] if a else NO_VALUE),
    "or": lambda *a: next((x for x in a if truthy(x)), a[-1] if a else NO_VALUE),
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "table": lambda v: v,
}
