"""Layers, one per module: Dense, DropConnect, Activation, Dropout, BatchNorm, and the Layer base.

See `mlplab.layers.base` for the conventions every layer follows (shapes,
populations, params and buffers).
"""

from __future__ import annotations

from typing import Any

from mlplab._checks import built_from_config
from mlplab.layers.activation import Activation
from mlplab.layers.base import LAYERS, Layer
from mlplab.layers.batchnorm import BatchNorm
from mlplab.layers.dense import Dense
from mlplab.layers.dropconnect import DropConnect
from mlplab.layers.dropout import Dropout

__all__ = ["LAYERS", "Activation", "BatchNorm", "Dense", "DropConnect", "Dropout", "Layer",
           "layer_from_config"]

def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer (without weights) from its `get_config()`."""
    kind = config.get("type") if isinstance(config, dict) else None
    cls = LAYERS.lookup(kind, owner="layer_from_config", parameter="type")
    return built_from_config(lambda: cls.from_config(config), "layer_from_config", config)
