"""An atomic counter for compiled code: :func:`fetch_add`.

The batch engine's threads share one queue of parameter sets: each lane that
frees up takes the next set with ``fetch_add(queue, 0, 1)``, so no thread sits
idle while another still has sets waiting (numba has no atomic operations for
the CPU; this is LLVM's ``atomicrmw add``). Which thread runs a set never
changes its numbers: a set's arithmetic depends only on its own data.
"""

from __future__ import annotations

from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def fetch_add(typingctx, array, index, value):
    """Add ``value`` to ``array[index]`` (int64) atomically; return the value before."""
    if not (isinstance(array, types.Array) and array.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        data = context.make_array(array_type)(context, builder, args[0])
        index_value = context.cast(builder, args[1], signature.args[1], types.intp)
        pointer = cgutils.get_item_pointer(context, builder, array_type, data, [index_value],
                                           wraparound=False)
        addend = context.cast(builder, args[2], signature.args[2], types.int64)
        return builder.atomic_rmw("add", pointer, addend, "seq_cst")

    return types.int64(array, index, value), codegen


