"""What README.md and docs/*.md show still matches the code, so none of it goes stale silently.

- every `mlplab ...` command in a shell or console block, or in inline code, is parsed by the
  command line's own argparse parser (a renamed or removed flag fails here);
- every Python block compiles, and its `import` lines import (a renamed function fails here);
- every backticked dotted name `mlplab.x.y` names a module or attribute that exists;
- every relative link and every backticked repository path names a file that exists;
- the README's Layout section names every module and package of `mlplab/`;
- the README's Extras list names every optional dependency group of pyproject.toml;
- every option of every `mlplab` command has a help text.

Parsing only, nothing runs: the whole file takes about a second.
"""

import argparse
import ast
import contextlib
import importlib
import io
import re
import shlex
import tomllib
from pathlib import Path

import pytest

from mlplab.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```", flags=re.MULTILINE | re.DOTALL)
OPTIONAL = {"cupy", "distributed", "onnxruntime", "sklearn"}  # imported only when installed


def blocks(page, *languages):
    """(language, text) of each fenced block of `page` in one of `languages`, dedented."""
    for indent, language, body in FENCE.findall(page.read_text(encoding="utf-8")):
        if language in languages:
            yield language, "\n".join(line[len(indent):] for line in body.splitlines())


def shown_commands():
    """Every `mlplab ...` command a page shows, as (page name, command text)."""
    for page in PAGES:
        for language, body in blocks(page, "sh", "console"):
            for line in body.splitlines():
                line = line.removeprefix("$ ") if language == "console" else line
                for part in line.split("&&"):
                    part = part.split(" #")[0].strip()
                    if part.startswith("mlplab "):
                        yield page.name, part
        text = FENCE.sub("", page.read_text(encoding="utf-8"))
        for code in re.findall(r"`(mlplab [^`]+)`", text):
            # not a usage line ([--flag], ...), nor a command's name ("`mlplab export` puts")
            if "[" not in code and "..." not in code and len(code.split()) > 2:
                yield page.name, code


def parse(command):
    """The parser's Namespace for `command`, or the parser's own complaint as an error."""
    parser, complaint = build_parser(), io.StringIO()
    with contextlib.redirect_stderr(complaint):
        try:
            return parser.parse_args(shlex.split(command)[1:])
        except SystemExit as stop:
            if stop.code:
                raise AssertionError(f"{command!r}: {complaint.getvalue().strip()}") from None
            return None  # --help, --version


COMMANDS = list(dict.fromkeys(shown_commands()))  # each (page, command) once


def test_the_pages_show_the_commands_this_test_reads():
    named = {command.split()[1] for _, command in COMMANDS}
    assert {"train", "predict", "evaluate", "export", "reproduce", "sweep", "surface",
            "lr-find", "race", "playground"} <= named
    assert len(COMMANDS) > 30


@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[f"{p}: {c}" for p, c in COMMANDS])
def test_every_shown_command_parses(page, command):
    parse(command)


def test_the_parse_check_catches_a_stale_flag():
    with pytest.raises(AssertionError, match="--hiden"):
        parse("mlplab train digits --hiden 4")
    assert parse("mlplab train digits --layers 64,32").layers == [64, 32]


def python_blocks():
    for page in PAGES:
        for number, (_, body) in enumerate(blocks(page, "python")):
            yield pytest.param(page, body, id=f"{page.name}:{number}")


@pytest.mark.parametrize(("page", "body"), list(python_blocks()))
def test_every_python_block_compiles_and_its_imports_import(page, body):
    tree = ast.parse(body, filename=str(page))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            module, names = None, [alias.name for alias in node.names]
        else:
            continue
        for name in [module] if module else names:
            if name.split(".")[0] in OPTIONAL:
                pytest.importorskip(name.split(".")[0])
        if module is None:
            for name in names:
                importlib.import_module(name)
            continue
        imported = importlib.import_module(module)
        for name in names:
            assert hasattr(imported, name), f"{page.name}: {module} has no {name!r}"


def dotted(name):
    """The module or attribute `name` ("mlplab.optim.registry.register_optimizer") names."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError as missing:
            if not (missing.name or "").startswith("mlplab"):
                pytest.skip(f"{name} needs {missing.name}, not installed")
            continue
        for part in parts[split:]:
            found = getattr(found, part)
        return found
    raise AssertionError(name)


def test_every_dotted_name_exists():
    names = {name for page in PAGES
             for name in re.findall(r"`(mlplab(?:\.\w+)+)", page.read_text(encoding="utf-8"))}
    assert len(names) > 30
    missing = []
    for name in sorted(names):
        try:
            dotted(name)
        except (AttributeError, AssertionError):
            missing.append(name)
    assert not missing, f"the pages name {missing}, which do not exist"


def test_links_and_paths_name_files_that_exist():
    missing = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            target = target.split("#")[0]
            if target and "://" not in target and not (page.parent / target).exists():
                missing.append(f"{page.name}: link {target}")
        for path in re.findall(r"`((?:mlplab|tests|bench|examples|docs)/[\w./-]*\w)`", text):
            if not (ROOT / path).exists():
                missing.append(f"{page.name}: path {path}")
    assert not missing


def layout():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Layout")[1].split("```")[1]


def test_the_layout_names_every_module_and_package():
    listed = set(re.findall(r"(?<![/\w])\w+(?:\.py|/)", layout()))  # not data/table.py
    package = ROOT / "mlplab"
    ours = {f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()}
    ours |= {p.name for p in package.glob("*.py") if not p.name.startswith("__")}
    assert not ours - listed, f"README's Layout does not name {sorted(ours - listed)}"
    assert not listed - ours - {"mlplab/", "tests/", "bench/", "examples/", "docs/",
                                "static/"}, "README's Layout names what is not there"


def test_the_extras_list_names_every_extra():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    extras_text = readme.split("Extras:")[1].split("\n\n")[0]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    named = set(re.findall(r"`([\w-]+)`", extras_text))
    assert named == set(extras)


def subcommands():
    actions = build_parser()._subparsers._group_actions
    return [(name, sub) for action in actions for name, sub in action.choices.items()]


@pytest.mark.parametrize(("name", "sub"), subcommands(), ids=[n for n, _ in subcommands()])
def test_every_option_of_every_command_says_what_it_is(name, sub):
    assert sub.description, f"mlplab {name} --help has no description"
    bare = [action.dest for action in sub._actions
            if not isinstance(action, argparse._HelpAction) and not action.help]
    assert not bare, f"mlplab {name} --help does not explain {bare}"
