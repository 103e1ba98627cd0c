"""Registries: named entries (activations, losses, initializers, optimizers) with their facts.

A `Registry` maps canonical names to entries and carries, for each entry,
its aliases and the facts other modules need about it: an activation's ONNX
operator and preferred initializer, whether an optimizer takes a learning
rate. Everything that offers a choice by name (constructors, the exporter,
the command line, the sweep grid, error messages) reads the registry, so
adding an entry touches one module.

    >>> ACTIVATIONS.canonical("logistic")
    'sigmoid'
    >>> ACTIVATIONS.fact("relu", "onnx_op")
    'Relu'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlplab._checks import check_choice, invalid


class Registry(dict):
    """Canonical name -> entry, with ``aliases`` (alias -> name) and per-entry ``facts``.

    It is a dict of the canonical names only; `canonical` and `lookup` also
    accept aliases. kind: what the entries are, for messages ("activation").
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.aliases: dict[str, str] = {}
        self.facts: dict[str, dict[str, Any]] = {}

    def add(self, name: str, entry: Any, *, aliases: Iterable[str] = (), **facts: Any) -> Any:
        """Register `entry` under `name` (and its `aliases`) with its facts; returns `entry`."""
        for key in (name, *aliases):
            if key in self or key in self.aliases:
                raise ValueError(f"{self.kind} {key!r} is registered already")
        self[name] = entry
        self.aliases.update(dict.fromkeys(aliases, name))
        self.facts[name] = dict(facts)
        return entry

    def canonical(self, name: Any, *, owner: str = "", parameter: str = "") -> str:
        """The canonical name for `name` or one of its aliases; raises the one-template error."""
        if isinstance(name, str) and name in self.aliases:
            return self.aliases[name]
        return check_choice(parameter or self.kind, owner or self.kind, name, self)

    def lookup(self, name: Any, *, owner: str = "", parameter: str = "") -> Any:
        """The entry for `name` or an alias of it."""
        return self[self.canonical(name, owner=owner, parameter=parameter)]

    def name_of(self, entry: Any, *, owner: str, parameter: str) -> str:
        """The name `entry` (or a name of it) is registered under, for writing into a config.

        Anything not in the registry (a function or class of the user's) cannot be
        written down, and gets the one-template error saying so.
        """
        if isinstance(entry, str):
            return self.canonical(entry, owner=owner, parameter=parameter)
        for name, registered in self.items():
            if registered is entry:
                return name
        raise invalid(parameter, owner, f"one of {self.names()} (your own {self.kind}s cannot "
                      "be written into a config)", entry)

    def fact(self, name: str, key: str, default: Any = None) -> Any:
        """A fact recorded for the entry `name` (or an alias of it), or `default`."""
        return self.facts[self.canonical(name)].get(key, default)

    def names(self, **facts: Any) -> list[str]:
        """Canonical names, sorted; only those whose facts equal the given ones, if any."""
        return sorted(name for name in self
                      if all(self.facts[name].get(k) == v for k, v in facts.items()))

    def choices(self) -> list[str]:
        """Every accepted spelling: canonical names and aliases, sorted."""
        return sorted([*self, *self.aliases])
