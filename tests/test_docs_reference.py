"""The reference pages name every registered optimizer, loss, layer, activation and initializer.

docs/optimizers.md, docs/losses.md and docs/layers.md have a section ``### `name` `` per
registry entry, which names each of the entry's options (its factory's parameters) and
every alias; the README's feature list names every optimizer, loss and layer. A name added
to a registry without its documentation fails here.
"""

import functools
import inspect
import re
from pathlib import Path

import pytest

from mlplab.activations import ACTIVATIONS
from mlplab.initializers import INITIALIZERS
from mlplab.layers import LAYERS
from mlplab.losses import LOSSES
from mlplab.optim.registry import LINKS, OPTIMIZERS, SCHEDULES

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"optimizers": [OPTIMIZERS, LINKS, SCHEDULES], "losses": [LOSSES],
         "layers": [LAYERS, ACTIVATIONS, INITIALIZERS]}
NOT_OPTIONS = {"self", "owner", "links", "transforms"}  # internal, or chain's list of links


def page(name):
    return (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")


def sections(text):
    """{name: the text under its '### `name`' heading, up to the next heading}."""
    parts = re.split(r"^#{2,3} ", text, flags=re.MULTILINE)
    found = {}
    for part in parts:
        heading = re.match(r"`([^`]+)`\n", part)
        if heading:
            found[heading.group(1)] = part
    return found


def ours(registry):
    """The registry's names of what mlplab defines (a user's Layer subclass registers too)."""
    def module(obj):
        target = obj[0] if isinstance(obj, tuple) else getattr(obj, "func", obj)  # fn, partial
        return getattr(target, "__module__", "") or ""

    return [name for name in registry.names() if module(registry[name]).startswith("mlplab.")]


def entries():
    for name, registries in PAGES.items():
        for registry in registries:
            for entry in ours(registry):
                yield pytest.param(name, registry, entry, id=f"{name}:{entry}")


def options(factory):
    """The parameter names a user passes (none for a documented shortcut such as momentum)."""
    if isinstance(factory, functools.partial) or not callable(factory):
        return []
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # an activation's record, not a function
        return []
    return [name for name, p in signature.parameters.items() if name not in NOT_OPTIONS
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize(("page_name", "registry", "entry"), list(entries()))
def test_every_registered_name_has_a_section_naming_its_options(page_name, registry, entry):
    found = sections(page(page_name))
    assert entry in found, f"docs/{page_name}.md has no '### `{entry}`' section"
    text = found[entry]
    given = [] if registry is INITIALIZERS else options(registry[entry])  # (shape, rng)
    for option in given:
        assert re.search(rf"\b{re.escape(option)}\b", text), \
            f"the section of {entry} in docs/{page_name}.md does not name its option {option!r}"


@pytest.mark.parametrize("page_name", PAGES)
def test_every_alias_is_named_on_its_page(page_name):
    text = page(page_name)
    for registry in PAGES[page_name]:
        for alias, name in registry.aliases.items():
            if name not in ours(registry):
                continue
            assert f"`{alias}`" in text, f"docs/{page_name}.md does not name the alias {alias!r}"


def test_every_section_names_a_paper_or_a_source_where_the_registry_has_one():
    """Each optimizer, loss and layer section gives a year (its paper's) or points to one."""
    for page_name, registries in (("optimizers", [OPTIMIZERS]), ("losses", [LOSSES]),
                                  ("layers", [LAYERS])):
        found = sections(page(page_name))
        for registry in registries:
            for entry in ours(registry):
                text = found[entry]
                shortcut = isinstance(registry[entry], functools.partial) or entry in (
                    "Activation", "mse", "mae")  # defined by the text, no paper of their own
                assert shortcut or re.search(r"\b(19|20)\d\d\b", text), (page_name, entry)


@pytest.mark.parametrize("registry", [OPTIMIZERS, LOSSES, LAYERS],
                         ids=["optimizers", "losses", "layers"])
def test_the_readme_names_every_optimizer_loss_and_layer(registry):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in ours(registry)
               if not re.search(rf'`"?{re.escape(name)}["`(]', readme)]
    assert not missing, f"README.md does not name {missing}"


def test_the_readme_links_the_reference_pages():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in PAGES:
        assert f"(docs/{name}.md)" in readme
