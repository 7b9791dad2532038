from __future__ import annotations

from typing import Any

import pytest
from dockyard.cli.gotemplate import TemplateError, render

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
