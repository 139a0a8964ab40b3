"""Global and local sensitivity analysis of any function of a parameter matrix.

Nothing in the method modules knows the ODE model: every method is a pair of
verbs in the style of SALib, without depending on it.

1. ``*_sample`` builds a design, a matrix of parameter sets (one row per set,
   one column per parameter, in parameter units);
2. the caller evaluates its output for every row (in one batch if it likes);
3. ``*_analyze`` turns the design and the vector of outputs into indices.

Three methods, one module each, from the most to the least expensive:
:mod:`.sobol` (variance based, global), :mod:`.morris` (screening, global) and
:mod:`.local` (elasticities at one point). Every design has ``stacked()`` (the
matrix to evaluate, rows in the order the analysis expects); every result has
``names``, ``as_rows()`` (one dict per parameter, for CSV) and ``to_dict()``
(plain JSON types, NaN as ``None``). The same seed gives the same design and
the same confidence intervals, bit for bit (for the same numpy and scipy
versions). :mod:`.runner` runs them on the model for a sweep specification.
"""

from lbp_headache.analysis.sensitivity.local import (
    LocalDesign,
    LocalResult,
    local_analyze,
    local_sample,
)
from lbp_headache.analysis.sensitivity.morris import (
    MorrisDesign,
    MorrisResult,
    morris_analyze,
    morris_sample,
)
from lbp_headache.analysis.sensitivity.sobol import (
    SobolDesign,
    SobolResult,
    sobol_analyze,
    sobol_sample,
)
from lbp_headache.analysis.space import ParameterSpace

__all__ = [
    "LocalDesign", "LocalResult", "MorrisDesign", "MorrisResult", "ParameterSpace",
    "SobolDesign", "SobolResult", "local_analyze", "local_sample", "morris_analyze",
    "morris_sample", "sobol_analyze", "sobol_sample",
]
