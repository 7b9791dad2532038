"""Command-line mistakes in docker's words and with docker's exit codes.

docker parses flags with cobra: a flag it cannot parse is a status error 125, a wrong number
of arguments or an unknown command is 1, and each names the command's `--help`:

    unknown flag: --bogus                       125   (unknown shorthand flag: 'z' in -z)
    flag needs an argument: --name              125   (flag needs an argument: 'n' in -n)
    invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax
    "dockyard logs" requires exactly 1 argument.   1  (and the command's usage)
    dockyard: 'frob' is not a dockyard command.    1

Click's own messages and its exit code 2 never reach the user: the app runs with
`standalone_mode=False` and `run` turns click's exceptions into these.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Any, NoReturn

import typer

# click's exceptions, or those of the copy of click typer carries since 0.26
_errors: Any = importlib.import_module(typer.BadParameter.__module__)

FLAG_ERROR = 125
USAGE_ERROR = 1
_QUOTED = re.compile(r"'([^']*)' is not a valid")
_NEEDS = re.compile(r"Option '(.+)' requires an argument")


TRUE_BY_DEFAULT = ("--sig-proxy",)  # docker's boolean flags that are on unless =false


def bool_values(args: list[str]) -> list[str]:
    """`--sig-proxy=false` (pflag's form) as click's `--no-sig-proxy`; `=true` as the flag.
    Only up to a `--`, past which the words are the container's."""
    out = list(args)
    for index, arg in enumerate(args):
        if arg == "--":
            break
        flag, sep, value = arg.partition("=")
        if sep and flag in TRUE_BY_DEFAULT and value.lower() in ("false", "0", "f"):
            out[index] = "--no-" + flag[2:]
        elif sep and flag in TRUE_BY_DEFAULT and value.lower() in ("true", "1", "t"):
            out[index] = flag
    return out


class FlagError(Exception):
    """A flag's value does not parse: 'invalid argument "x" for "--flag" flag: reason' (125)."""


class Conflict(Exception):
    """Options that cannot go together, as docker's CLI says it: the line alone, exit 1."""


class Refused(Exception):
    """The command line asks for what cannot be (docker's CLI checks it before any request):
    "dockyard: <reason>." and the help pointer, 125."""


def run(app: Any) -> None:
    """Run `app`, a typer app or the click command made of one already (main.prebuild); exit
    with docker's code and words for a usage mistake."""
    sys.argv[1:] = bool_values(sys.argv[1:])
    try:
        result = app(standalone_mode=False)
    except FlagError as err:
        fail(FLAG_ERROR, f"{err}\nSee '{_command_path(app, sys.argv[1:])} --help'.\n")
    except Conflict as err:
        fail(USAGE_ERROR, f"{err}\n")
    except Refused as err:
        path = _command_path(app, sys.argv[1:])
        fail(FLAG_ERROR, f"dockyard: {str(err).rstrip('.')}.\nSee '{path} --help'.\n")
    except _errors.NoArgsIsHelpError as err:
        if err.ctx.parent is None:
            sys.stdout.write(err.ctx.get_help() + "\n")
        else:
            sys.stderr.write(_group_help(err.ctx))
        sys.exit(0)
    except _errors.UsageError as err:
        fail(*explain(err, _command_path(app, sys.argv[1:])))
    except typer.Abort:
        sys.exit(1)
    except UnicodeEncodeError as err:
        if err.reason != "surrogates not allowed":
            raise
        fail(FLAG_ERROR, f"dockyard: {not_utf8(err)}.\n")
    if isinstance(result, int) and result:
        sys.exit(result)


def not_utf8(err: UnicodeEncodeError) -> str:
    """An argument or environment value of bytes that are not UTF-8 (Python keeps them as
    surrogates) met the engine's API, whose strings are UTF-8: name the value, its bytes
    escaped ("invalid argument "a\\xff": not valid UTF-8")."""
    text = err.object if isinstance(err.object, str) else ""
    raw = text.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
    return f'invalid argument "{raw}": not valid UTF-8'


def fail(code: int, text: str) -> NoReturn:
    sys.stderr.write(text)
    sys.exit(code)


def explain(err: Any, path: str = "dockyard") -> tuple[int, str]:
    """(exit code, stderr text) for one of click's usage errors; `path` names the command when
    the error does not know it (click raises some without a context)."""
    ctx = err.ctx
    path = ctx.command_path if ctx is not None else path
    see = f"See '{path} --help'.\n"
    if isinstance(err, _errors.NoSuchOption):
        return FLAG_ERROR, f"unknown {_flag_name(err.option_name, 'flag')}\n{see}"
    message = err.format_message()
    if needs := _NEEDS.match(message):
        return FLAG_ERROR, f"flag needs an argument: {_short_form(needs.group(1))}\n{see}"
    if isinstance(err, _errors.BadParameter) and _kind(err.param) == "option":
        return FLAG_ERROR, f"{_bad_value(err.param, message)}\n{see}"
    if ctx is not None and message.startswith("No such command"):
        return USAGE_ERROR, _unknown_command(ctx, message)
    if ctx is not None and (
        isinstance(err, _errors.MissingParameter) or message.startswith("Got unexpected extra")
    ):
        return USAGE_ERROR, _arity(ctx, path, see)
    return FLAG_ERROR, f"{message}\n{see}"


def _command_path(app: Any, args: list[str]) -> str:
    """ "dockyard container ls": the program and the command words at the head of `args`."""
    command: Any = typer.main.get_command(app) if isinstance(app, typer.Typer) else app
    words, skip = ["dockyard"], False
    for arg in args:
        if skip or arg in ("-H", "--host"):
            skip = not skip
            continue
        found = getattr(command, "commands", {}).get(arg)
        if arg.startswith("-") or found is None:
            break
        words.append(arg)
        command = found
    return " ".join(words)


def _flag_name(name: str, what: str) -> str:
    if name.startswith("--"):
        return f"{what}: {name}"
    return f"shorthand {what}: '{name[1:]}' in {name}"


def _short_form(name: str) -> str:
    return name if name.startswith("--") else f"'{name[1:]}' in {name}"


def _bad_value(option: Any, message: str) -> str:
    """docker's words for a flag value that does not parse (Go's strconv errors)."""
    quoted = _QUOTED.search(message)
    value = quoted.group(1) if quoted else ""
    flags = ", ".join(sorted(option.opts, key=len)) if len(option.opts) > 1 else option.opts[0]
    if option.name == "cpus":
        reason = f"failed to parse {value} as a rational number"
    elif option.type.name == "int":
        reason = f'strconv.ParseInt: parsing "{value}": invalid syntax'
    elif option.type.name == "float":
        reason = f'strconv.ParseFloat: parsing "{value}": invalid syntax'
    else:
        return f"invalid argument for {flags!r} flag: {message}"
    return f'invalid argument "{value}" for "{flags}" flag: {reason}'


def _unknown_command(ctx: Any, message: str) -> str:
    if ctx.parent is None:
        word = message.removeprefix("No such command").strip(" '.")
        return f"{ctx.command_path}: '{word}' is not a {ctx.command_path} command.\n" + (
            f"See '{ctx.command_path} --help'\n"
        )
    return _group_help(ctx)


def _group_help(ctx: Any) -> str:
    """A command group's usage, as docker prints it for `docker network` alone."""
    path = ctx.command_path
    lines = [f"\nUsage:  {path} COMMAND\n", _summary(ctx.command) + "\n", "Commands:"]
    for name in sorted(ctx.command.commands):
        lines.append(f"  {name:<11} {_summary(ctx.command.commands[name])}".rstrip())
    lines.append(f"\nRun '{path} COMMAND --help' for more information on a command.\n")
    return "\n".join(lines)


def _arity(ctx: Any, path: str, see: str) -> str:
    """`"dockyard logs" requires exactly 1 argument.`, the usage line and what the verb does."""
    arguments = [p for p in ctx.command.params if _kind(p) == "argument"]
    needed = sum(1 for a in arguments if a.required)
    open_ended = any(a.nargs == -1 or not a.required for a in arguments)
    words = "argument" if needed == 1 else "arguments"
    rule = f"at least {needed}" if open_ended else f"exactly {needed}"
    return (
        f'"{path}" requires {rule} {words}.\n{see}\nUsage:  {path} {_usage(ctx.command)}\n\n'
        f"{_summary(ctx.command)}\n"
    )


def _usage(command: Any) -> str:
    options = any(_kind(p) == "option" and p.name != "help" for p in command.params)
    pieces = ["[OPTIONS]"] if options else []
    for p in command.params:
        if _kind(p) == "argument":
            pieces.append((p.metavar or (p.name or "").upper()).strip("{}"))
    return " ".join(pieces)


def _summary(command: Any) -> str:
    return (command.help or "").strip().split("\n", 1)[0].removesuffix(".")


def _kind(param: Any) -> str:
    """ "option" or "argument" (click's classes, or typer's own since 0.26)."""
    return str(getattr(param, "param_type_name", ""))
