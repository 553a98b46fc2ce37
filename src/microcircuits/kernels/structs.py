"""The two records every kernel works on: a network (weights, constants, topology) and its state.

On the Python side they are named tuples of flat NumPy arrays and scalars (:data:`Network`, :data:`State`);
kernels receive them as Numba StructRefs built from the same arrays (:func:`kernel_network`,
:func:`kernel_state`), which pass as one pointer instead of hundreds of flattened arguments per call.
The records and their arrays are *borrowed* (:func:`borrowed`): typed so that Numba counts no references
to them, since the Python side owns them for the whole call.  In a small network's step the reference
counting (opaque calls and atomic operations, after which LLVM reloads every field) cost a third of the time.
Units are addressed by offsets:

* ``area_off[l]`` .. ``area_off[l+1]``: area l in the *full* vector (input area 0 first), used for rates;
* ``rep_off[l]``: the same area in vectors without the input (u, u_breve, vbas, vapi, ...);
* ``pop_off[l]``: population l of the second cell type (errormc error units, sacramento2018 interneurons,
  ann errors, dPC delayed rates), possibly empty.

Weight matrices are stored as row-major blocks in one flat buffer each: block k of the forward weights maps
area ``fw_pre[k]`` to area ``fw_post[k]`` and occupies ``W[fw_ptr[k]:fw_ptr[k+1]]`` with shape
``(fw_rows[k], fw_cols[k])``.  Layered networks have one block per area; errormc skip mode has the blocks
below the diagonal.  Feedback block k connects area ``bw_send[k]`` (``bw_cols[k]`` units) to area
``bw_recv[k]`` (``bw_rows[k]`` units) and is stored *transposed*, sender-major: entry (receiver i, sender j)
is ``B[bw_ptr[k] + j*bw_rows[k] + i]``.  That is the layout of the forward block it mirrors in BP mode
(``bw_src[k]``, post = sender, pre = receiver), so the BP rebuild B = W^T + noise is a contiguous sum.
"""

from collections import namedtuple
from dataclasses import dataclass

from numba.core import cgutils, types
from numba.core.datamodel.models import ArrayModel, StructRefModel
from numba.experimental import structref
from numba.extending import intrinsic, register_model
from numba.np.arrayobj import make_array

from .cache import kernel_jit

# How the MSE is recorded (docs/models.md §5.4)
MSE_RATE, MSE_RATE_OF_VOLTAGE_TARGET, MSE_VOLTAGE = 0, 1, 2

NETWORK_FIELDS = [
    # topology; whether feedback connects the second population (errormc's error units) or representation units
    "n_areas", "area_off", "rep_off", "pop_off", "npair", "fb_on_pop",
    # forward weights (block-sparse) and their learning rates per block
    "fw_post", "fw_pre", "fw_rows", "fw_cols", "fw_ptr", "fw_hier", "W", "dW", "dW_lp", "eta_fw",
    # feedback weights (block-sparse): fixed BP noise, transpose source, upper-triangular diagonal blocks,
    # and which blocks a BP rebuild must recompute (their source can change)
    "bw_recv", "bw_send", "bw_rows", "bw_cols", "bw_ptr", "bw_src", "bw_triu", "bw_live", "B", "B_noise",
    # lateral weights per population: W_IP (rep -> error / interneuron) and B_PI (error -> apical)
    "WIP", "WIP_ptr", "WIP_rows", "WIP_cols", "BPI", "BPI_ptr", "BPI_rows", "BPI_cols", "eta_IP", "eta_PI",
    # activations: kind per area (and the kind whose derivative is used), slope and offset per unit, whether
    # an area's units all have slope 1 and offset 0; look-ahead switches per area
    "act_kind", "der_kind", "slope", "offset", "rep_plain", "err_kind", "err_slope", "err_offset", "rep_lookahead",
    "err_lookahead",
    # time constants per area / population, the one used without a target, and the prediction scale c of
    # the forward plasticity rule per area (post - c*vbas_old)
    "tau_rep", "tau_err", "tau_out_notgt", "c_pred",
    # gain of the output drive in the backprop comparison: (gl+gbas+gapi)/(gl+gbas) where the output has no
    # apical compartment (sacramento2018, dPC), else 1
    "bp_out_gain",
    # scalars
    "dt", "gl", "gbas", "gapi", "gden", "gnI", "gntgt", "taur", "tauLO",
    "bp", "dw_use_activation", "varphi_transfer", "dw_low_pass", "mse_mode",
    # sacramento2018 / dPC: reset the lateral weights to the self-predicting state after every step (Fig. A2)
    "sps_reset",
]

STATE_FIELDS = [
    "rates", "rates_old",                      # full vectors: input then representation rates
    "u", "u_prev", "u_breve", "d", "du",       # representation units (u_prev is the reference's uP_old)
    "uI", "uI_prev", "uI_breve", "rI", "rI_old", "duI",  # second population
    "vbas", "vbas_old", "vapi", "vapi_old",    # dendrites of representation units
    "vden", "vden_old", "fb", "tmp",           # dendrites of the second population, feedback, scratch
    # a forward update deferred to the next step (kernels/layered.py): flag, post and pre factors
    "pending", "post_pending", "pre_pending",
]

Network = namedtuple("Network", NETWORK_FIELDS)
State = namedtuple("State", STATE_FIELDS)


def _fields(self, fields):
    return tuple((name, types.unliteral(typ)) for name, typ in fields)


@structref.register
class StateRef(types.StructRef):
    preprocess_fields = _fields


class _StateProxy(structref.StructRefProxy):
    pass


structref.define_proxy(_StateProxy, StateRef, STATE_FIELDS)


class NetworkType(types.StructRef):
    """Base of the network record types.  Each kernel module defines one subclass per kernel (its type says
    which step runs it: every loop is compiled, and cached, per kernel through ordinary type dispatch), a view
    class to hold it from Python (:func:`define_view`), a cached constructor, and registers the three with its
    step (:func:`register_kernel`)."""

    preprocess_fields = _fields


@dataclass(frozen=True)
class Kernel:
    network_type: type     # the record type its loops are compiled for
    new: object            # jitted constructor of a view from the record's fields
    step: object           # the jitted step (engine.step dispatches to it)
    settle: object = None  # applies an update the step deferred (engine.settle), if the step defers any


KERNELS: dict[str, Kernel] = {}  # kernel name -> Kernel, filled by the kernel modules when they are imported


def define_view(view_class, network_type) -> None:
    """Make ``view_class`` (a StructRefProxy subclass) the Python-side view of ``network_type``."""
    structref.define_proxy(view_class, network_type, NETWORK_FIELDS)


def register_kernel(name: str, network_type, new, step, settle=None) -> None:
    KERNELS[name] = Kernel(network_type, new, step, settle)


class BorrowedArray(types.Array):
    """An array whose memory another holder owns (its meminfo is NULL): Numba emits no reference counting
    for it.  Without this type, every read of a record's array field calls NRT_incref and NRT_decref (no-ops
    on a NULL meminfo, but opaque calls, after which LLVM must reload every field it had in registers)."""

    def __init__(self, dtype, ndim, layout, readonly=False, aligned=True):
        super().__init__(dtype, ndim, layout, readonly=readonly, aligned=aligned,
                         name=f"borrowed({dtype}, {ndim}d, {layout})")


@register_model(BorrowedArray)
class _BorrowedArrayModel(ArrayModel):
    def traverse(self, builder):
        return []  # no meminfo to count


def _borrowed_type(typ):
    return BorrowedArray(typ.dtype, typ.ndim, typ.layout, readonly=not typ.mutable, aligned=typ.aligned)


class _BorrowedStructModel(StructRefModel):
    def traverse(self, builder):
        return []  # no meminfo to count


def _borrowed_twin(struct_type):
    """A subclass of a record type for the same record borrowed by a kernel: the attributes and the type
    dispatch of its parent hold, but passing it around counts no references (atomic operations, a dozen per
    step at the call into the step function and the recorder)."""
    twin = type(f"Borrowed{struct_type.__name__}", (struct_type,), {})
    register_model(twin)(_BorrowedStructModel)
    return twin


_BORROWED_RECORD = {}  # record type -> its borrowed twin (and the twin -> itself), made when first borrowed


def _twin_of(struct_type):
    if struct_type not in _BORROWED_RECORD:
        twin = _borrowed_twin(struct_type)
        _BORROWED_RECORD[struct_type] = _BORROWED_RECORD[twin] = twin
    return _BORROWED_RECORD[struct_type]


def _cut_refcount(context, builder, typ, value):
    ary = make_array(typ)(context, builder, value=value)
    ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
    ary.parent = cgutils.get_null_value(ary.parent.type)
    return ary._getvalue()


@intrinsic
def borrowed(typingctx, value):
    """An array, or a tuple with every array, whose reference count is cut off (NULL meminfo and parent):
    kernels then read the arrays without the atomic increments and decrements NRT does on every access.
    The arrays stay owned by their original holder, which must outlive the borrowed view.  A record
    (network or state) is the same pointer, typed as its borrowed twin (_borrowed_twin)."""
    def codegen(context, builder, sig, args):
        if isinstance(value, types.Array):
            return _cut_refcount(context, builder, value, args[0])
        out = args[0]
        for i, typ in enumerate(value.types):
            if isinstance(typ, types.Array):
                out = builder.insert_value(out, _cut_refcount(context, builder, typ, builder.extract_value(out, i)), i)
        return out
    if isinstance(value, types.StructRef):
        return _twin_of(type(value))(list(value._fields))(value), lambda context, builder, sig, args: args[0]
    if isinstance(value, types.Array):
        return _borrowed_type(value)(value), codegen
    out = types.BaseTuple.from_types([_borrowed_type(t) if isinstance(t, types.Array) else t for t in value.types],
                                     getattr(value, "instance_class", None))
    return out(value), codegen


# Compiled once and cached (StructRefProxy's own constructor is compiled in every process); a kernel
# module's constructor of its network views looks the same: return ItsView(*borrowed(fields)).
@kernel_jit()
def _new_state(fields):
    return _StateProxy(*borrowed(fields))


def kernel_network(net: Network, kernel: str, **changes):
    """The view of ``net`` (same arrays) that kernel ``kernel`` (a key of KERNELS) runs, optionally with
    some fields replaced.  The view borrows the arrays without reference counting and keeps them alive itself;
    read them through ``net``, not the view."""
    fields = tuple(net._replace(**changes))
    proxy = KERNELS[kernel].new(fields)
    proxy._owner = fields  # the kernel's arrays are borrowed views: keep them alive with the proxy
    proxy._kernel = kernel
    return proxy


def kernel_name(view) -> str:
    """Which kernel runs a view made by :func:`kernel_network`."""
    return view._kernel


def kernel_state(st: State):
    fields = tuple(st)
    proxy = _new_state(fields)
    proxy._owner = fields
    return proxy
