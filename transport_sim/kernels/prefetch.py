"""A cache prefetch hint for compiled loops: :func:`_prefetch` (``llvm.prefetch``).

A loop that calls a compiled function for each vehicle of a list takes the cache misses
on the rows it reads one at a time (the call keeps the CPU from running ahead to the
next vehicle's loads).  A first pass over the list that only asks for those rows lets
their misses overlap.  It is a hint: results never depend on it, and an address outside
the array is not read (on x86 a prefetch of any address is harmless; callers still keep
their indices in range).
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__: list[str] = []  # compiled internals only


@intrinsic
def _prefetch(typingctx: Any, arr: Any, i: Any) -> Any:
    """Ask for the cache line of ``arr[i]`` (1-D array, integer index) to be loaded.

    Compiled code only; read prefetch with high temporal locality, into the data cache.
    """
    if not isinstance(arr, types.Array) or arr.ndim != 1 or not isinstance(i, types.Integer):
        return None
    sig = types.void(arr, types.intp)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # (address, 0 = read, 3 = keep in all cache levels, 1 = data cache)
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
