"""``Frame``: the type the catalog's tables travel as between assets, named without importing pandas.

Dagster resolves the annotations of an asset's or a check's function when the code location loads.
Annotated ``pd.DataFrame``, every module declaring one would import pandas (with numpy and
pyarrow) just to be defined, and a refresh whose sources all answered 304 never builds a frame.
Type checkers see pandas' ``DataFrame``; at run time the annotation is ``Any``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pandas import DataFrame as Frame
else:
    Frame = Any

__all__ = ["Frame"]
