"""Go text/template, in the subset docker users write in `--format`.

    {{.Name}}  {{.State.Running}}  {{json .Config}}  {{index .Labels "k"}}  {{.A | upper}}
    {{range .Args}}{{.}} {{end}}  {{if .State.Running}}up{{else}}down{{end}}  {{with .X}}…{{end}}
    {{join .Names ","}}  {{println .Id}}  {{printf "%s-%d" .Name 3}}  {{len .Args}}
    {{- trims space -}}   variables: {{$x := .Name}}{{$x}}  {{$}}

Values print as Go prints them: true/false, "<no value>" for a missing field, map[k:v] for
maps, [a b] for lists; `json` encodes like Go's encoding/json (compact, <>& escaped).
Field names match the data's keys exactly (docker's inspect JSON uses Go's names), with a
case-insensitive fallback. Errors raise `TemplateError` with a one-line message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


class TemplateError(Exception):
    pass


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
    tokens: list[tuple[str, str]] = []
    position = 0
    for match in _ACTION.finditer(source):
        text = source[position : match.start()]
        if match.group(1):
            text = text.rstrip()
        tokens.append(("text", text))
        tokens.append(("action", match.group(2).strip()))
        position = match.end()
        if match.group(3):
            rest = source[position:]
            position += len(rest) - len(rest.lstrip())
    tokens.append(("text", source[position:]))
    nodes, _ = _block(tokens, 0, top=True)
    return nodes


def _block(tokens: list[tuple[str, str]], i: int, top: bool = False) -> tuple[list[Node], int]:
    nodes: list[Node] = []
    while i < len(tokens):
        kind, value = tokens[i]
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
            expression = value[len(word) :]
            if word == "range" and ":=" in expression:
                node.assign, expression = (part.strip() for part in expression.split(":=", 1))
            node.pipeline = _pipeline(expression)
            node.body, i = _block(tokens, i)
            i = _finish(node, tokens, i, word)
            nodes.append(node)
            continue
        node = Node("action")
        if ":=" in value and value.split(":=")[0].strip().startswith("$"):
            node.assign = value.split(":=")[0].strip()
            value = value.split(":=", 1)[1]
        node.pipeline = _pipeline(value)
        nodes.append(node)
    if not top:
        raise TemplateError("unexpected EOF: a block is not closed with {{end}}")
    return nodes, i


def _finish(node: Node, tokens: list[tuple[str, str]], i: int, word: str) -> int:
    """`node`'s body ended at tokens[i] ({{else …}} or {{end}}): read the rest of the block."""
    if i >= len(tokens):
        raise TemplateError(f"unexpected EOF: unclosed {{{{{word}}}}}")
    action = tokens[i][1]
    if action == "end":
        return i + 1
    rest = action[len("else") :].strip()
    if rest.split(None, 1)[:1] in (["if"], ["with"]):  # {{else if …}}: a nested block, one end
        kind = rest.split(None, 1)[0]
        nested = Node(kind, pipeline=_pipeline(rest[len(kind) :]))
        nested.body, j = _block(tokens, i + 1)
        node.otherwise = [nested]
        return _finish(nested, tokens, j, kind)
    node.otherwise, j = _block(tokens, i + 1)
    if j >= len(tokens) or tokens[j][1] != "end":
        raise TemplateError(f"unexpected EOF: unclosed {{{{{word}}}}}")
    return j + 1


def _pipeline(text: str) -> list[Any]:
    """A pipeline: a list of commands, each a list of operands."""
    items = _tokens(text)
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
        else:
            commands[-1].append((kind, value))
    if stack:
        raise TemplateError("unclosed (")
    if any(not c for c in commands):
        raise TemplateError(f"missing value in pipeline: {text.strip()!r}")
    return commands


def _tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise TemplateError(f"bad character in action: {text[position:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


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
    if len(command) > 1 or piped:
        raise TemplateError(f"can't give argument to non-function {head}")
    return _operand(command[0], dot, scope)


def _operand(operand: tuple[str, Any], dot: Any, scope: dict[str, Any]) -> Any:
    kind, value = operand
    if kind == "str":
        return json.loads(value) if value.startswith('"') else value[1:-1]
    if kind == "num":
        return float(value) if "." in value else int(value)
    if kind == "pipe":
        return _run(value, dot, scope)
    if kind == "var":
        if value not in scope:
            raise TemplateError(f"undefined variable: {value}")
        return scope[value]
    if kind == "field":
        base, _, path = value.partition(".")
        current = scope.get(base, NO_VALUE) if base.startswith("$") else dot
        for name in filter(None, path.split(".")):
            current = _field(current, name)
        return current
    if kind == "ident":
        return _command([operand], dot, scope, [])
    raise TemplateError(f"unexpected {value!r}")


def _field(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        if name in value:
            return value[name]
        lowered = {str(k).lower(): v for k, v in value.items()}
        return lowered.get(name.lower(), NO_VALUE)
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
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
