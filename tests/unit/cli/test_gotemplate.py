from __future__ import annotations

from typing import Any

import pytest
from dockyard.cli.gotemplate import Context, TemplateError, render

DATA: dict[str, Any] = {
    "Name": "/web",
    "State": {"Running": True, "Pid": 42, "ExitCode": 0},
    "Config": {"Env": ["A=1", "B=<2>"], "Labels": {"tier": "front"}, "Cmd": None},
    "Args": ["-c", "echo"],
}


@pytest.mark.parametrize(
    "template,expected",
    [
        ("{{.Name}}", "/web"),
        ("{{.State.Running}} {{.State.Pid}}", "true 42"),
        ("{{json .Config.Env}}", '["A=1","B=\\u003c2\\u003e"]'),
        ("{{json .Config.Cmd}}", "null"),
        ("{{.Config.Labels}}", "map[tier:front]"),
        ("{{.Args}}", "[-c echo]"),
        ("{{.Missing}}", "<no value>"),
        ('{{index .Config.Labels "tier"}}', "front"),
        ("{{range .Args}}<{{.}}>{{end}}", "<-c><echo>"),
        ("{{range $i, $a := .Args}}{{$i}}{{$a}} {{end}}", "0-c 1echo "),
        ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
        ("{{if .Missing}}a{{else if .State.Pid}}b{{else}}c{{end}}", "b"),
        ("{{with .State}}{{.Pid}}{{end}}", "42"),
        ('{{join .Args ","}} {{.Name | upper}} {{len .Args}}', "-c,echo /WEB 2"),
        ('{{printf "%s:%d" .Name .State.Pid}}', "/web:42"),
        ("a  {{- .Name -}}  b", "a/webb"),
        ("{{$n := .Name}}[{{$n}}]", "[/web]"),
        ("{{println .Name}}", "/web\n"),
        ("{{.state.running}}", "true"),
    ],
)
def test_docker_style_templates(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


@pytest.mark.parametrize(
    "template", ["{{if .Name}}x", "{{end}}", "{{nofunc .Name}}", "{{.Name.Deeper}}", "{{(.Name}}"]
)
def test_bad_templates_are_one_error(template: str) -> None:
    with pytest.raises(TemplateError):
        render(template, DATA)


@pytest.mark.parametrize(
    "template,error",
    [
        ("{{.Nope}}", 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'),
        (
            "x{{.State.Nope}}",
            ':1:9: executing "" at <.State.Nope>: map has no entry for key "Nope"',
        ),
        ("{{.Name}}\n {{ .Nope}}", "template: :2:4: executing"),
        ("{{if .Nope}}{{end}}", ':1:5: executing "" at <.Nope>: map has no entry'),
    ],
)
def test_a_missing_field_of_a_struct_fails_where_go_says(template: str, error: str) -> None:
    """docker's inspect falls back to the raw JSON with missingkey=error (issue 15 item 4)."""
    data = Context({"Name": "/web", "State": Context({"Running": True}), "Labels": {}})
    with pytest.raises(TemplateError) as caught:
        render(template, data)
    assert error in str(caught.value)


def test_a_go_map_inside_a_struct_answers_no_value_and_methods_take_arguments() -> None:
    row = Context({"Labels": {"a": "1"}, "Label": lambda k: {"a": "1"}.get(k, "")}, "*x.Row")
    assert render('{{.Labels.b}} {{.Label "a"}}[{{.Label "b"}}]', row) == "<no value> 1[]"
    assert render("{{json .}}", row) == '{"Labels":{"a":"1"}}'
    with pytest.raises(TemplateError, match=r"can't evaluate field Nope in type \*x.Row"):
        render("{{.Nope}}", row)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', "8080"),
        ('{{(index .NetworkSettings.Networks "bridge").IPAddress}}', "10.0.0.2"),
        (
            "{{range $p, $c := .NetworkSettings.Ports}}{{$p}}={{(index $c 0).HostPort}}{{end}}",
            "80/tcp=8080",
        ),
        ('{{(index .NetworkSettings.Networks "bridge").IPAddress | printf "%s!"}}', "10.0.0.2!"),
        ("{{(.NetworkSettings).Networks.bridge.IPAddress}}", "10.0.0.2"),
    ],
)
def test_fields_of_a_parenthesised_pipeline(template: str, expected: str) -> None:
    """Go's chain node, `(pipeline).Field`: docker's documented way to a published port,
    `{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`."""
    doc = {
        "NetworkSettings": {
            "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
            "Networks": {"bridge": {"IPAddress": "10.0.0.2"}},
        }
    }
    assert render(template, doc) == expected


def test_a_field_after_a_space_is_an_argument_as_in_go() -> None:
    with pytest.raises(TemplateError, match="can't give argument to non-function"):
        render('{{(index .X "k") .Y}}', {"X": {"k": {"Y": 1}}})
