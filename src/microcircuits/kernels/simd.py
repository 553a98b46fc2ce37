"""Four doubles at a time, written out for LLVM: a 4-tuple of floats in a kernel is one AVX register.

The PAL circuit's mat-vecs run over columns of 5 to 20 units.  Left to LLVM's vectorisers, such short loops run
scalar (the loop vectoriser wants 16 iterations, the SLP vectoriser gives up on loads it cannot prove
independent of the stores), at ~0.35 ns per multiply-add.  These intrinsics say it outright: ``load4`` and
``store4`` move four consecutive elements of a float64 array, ``scale4``/``div4``/``add4``/``sub4``/``mul4`` do
plain IEEE lane arithmetic (the same roundings as the scalar code they replace), and LLVM removes the tuple <->
vector conversions between them.  Across a loop's iterations it does not (a carried tuple becomes four scalars),
so the mat-vecs, whose accumulators are carried, are loops written in IR (:func:`matvec`).
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import vecmath as vm

_V4 = ir.VectorType(ir.DoubleType(), 4)
_T4 = types.UniTuple(types.float64, 4)
_LANES = [ir.Constant(ir.IntType(32), t) for t in range(4)]


def _address(context, builder, aryty, ary, index):
    data = context.make_array(aryty)(context, builder, ary).data
    return builder.bitcast(builder.gep(data, [index]), _V4.as_pointer())


def _vector(builder, tup):
    v = ir.Constant(_V4, ir.Undefined)
    for t in range(4):
        v = builder.insert_element(v, builder.extract_value(tup, t), _LANES[t])
    return v


def _splat(builder, x, vtype=_V4):
    v = ir.Constant(vtype, ir.Undefined)
    for t in range(4):
        v = builder.insert_element(v, x, _LANES[t])
    return v


def _tuple(context, builder, v):
    out = ir.Constant(context.get_value_type(_T4), ir.Undefined)
    for t in range(4):
        out = builder.insert_value(out, builder.extract_element(v, _LANES[t]), t)
    return out


@intrinsic
def load4(typingctx, ary, index):
    """ary[index:index + 4] (unchecked)."""
    def codegen(context, builder, sig, args):
        return _tuple(context, builder, builder.load(_address(context, builder, sig.args[0], *args), align=8))
    return _T4(ary, index), codegen


@intrinsic
def store4(typingctx, ary, index, lanes):
    """ary[index:index + 4] = lanes (unchecked)."""
    def codegen(context, builder, sig, args):
        builder.store(_vector(builder, args[2]), _address(context, builder, sig.args[0], args[0], args[1]), align=8)
        return context.get_dummy_value()
    return types.none(ary, index, lanes), codegen


def _lanewise(op: str, by_scalar: bool):
    """An intrinsic (a, b) -> a op b, lane by lane; with ``by_scalar`` b is one float for all four lanes."""
    @intrinsic
    def lanes_op(typingctx, a, b):
        def codegen(context, builder, sig, args):
            rhs = _splat(builder, args[1]) if by_scalar else _vector(builder, args[1])
            return _tuple(context, builder, getattr(builder, op)(_vector(builder, args[0]), rhs))
        return _T4(a, b), codegen
    return lanes_op


scale4, div4 = _lanewise("fmul", True), _lanewise("fdiv", True)  # lanes * x, lanes / x
add4, sub4, mul4 = _lanewise("fadd", False), _lanewise("fsub", False), _lanewise("fmul", False)  # a + b, a - b, a * b


def _has_scalef(context) -> bool:
    """Whether the target has AVX-512VL's ``vscalefpd`` on four lanes (Numba compiles for the host, or for
    ``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES``; its cache is keyed on them, so a kernel compiled with the
    instruction is never loaded on a CPU without it)."""
    features = (getattr(context.codegen(), "_tm_features", "") or "").split(",")
    return "+avx512f" in features and "+avx512vl" in features


def _exp(context, builder, x):
    """e^x on four lanes: kernels/vecmath.exp's range reduction (with fused multiply-adds), Taylor polynomial
    (degree 13) and scaling, the polynomial in Estrin's scheme (four levels deep instead of thirteen): not
    vecmath.exp's bits.  The scaling by 2^k is one ``vscalefpd`` where AVX-512VL has it (a third of the
    instructions of the two bit-built halves, the same bits: both round once).  The logistic built on it is
    within 4 ulp of libm's (tests/test_simd.py)."""
    i64x4 = ir.VectorType(ir.IntType(64), 4)

    def c(v):
        return _splat(builder, ir.Constant(ir.DoubleType(), v))

    def fma(a, b, d):
        f = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_V4, [_V4] * 3), "llvm.fma.v4f64")
        return builder.call(f, [a, b, d])

    def floor(v):
        f = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_V4, [_V4]), "llvm.floor.v4f64")
        return builder.call(f, [v])

    def pow2(e):  # vecmath._pow2
        bits = builder.add(builder.bitcast(builder.fadd(e, c(6755399441055744.0)), i64x4),
                           ir.Constant(i64x4, [ir.Constant(ir.IntType(64), 1023)] * 4))
        return builder.bitcast(builder.shl(bits, ir.Constant(i64x4, [ir.Constant(ir.IntType(64), 52)] * 4)), _V4)

    # clamped so that k stays in range, NaN passing (one vmaxpd, one vminpd); beyond the clamps the
    # arithmetic itself gives inf (x > 709.78...) and 0 (x < -745.13...), and NaN stays NaN
    lo = builder.select(builder.fcmp_ordered("<", x, c(-746.0)), c(-746.0), x)
    xc = builder.select(builder.fcmp_ordered(">", lo, c(710.0)), c(710.0), lo)
    k = floor(fma(xc, c(vm._LOG2E), c(0.5)))
    r = fma(k, c(-vm._LN2_LO), fma(k, c(-vm._LN2_HI), xc))  # k ln2_hi is exact: the inner one is xc - k ln2_hi
    coef = [1.0, 1.0, vm.C2, vm.C3, vm.C4, vm.C5, vm.C6, vm.C7, vm.C8, vm.C9, vm.C10, vm.C11, vm.C12, vm.C13]
    r2 = builder.fmul(r, r)
    r4 = builder.fmul(r2, r2)
    pairs = [fma(c(coef[i + 1]), r, c(coef[i])) for i in range(0, 14, 2)]
    quads = [fma(pairs[1], r2, pairs[0]), fma(pairs[3], r2, pairs[2]), fma(pairs[5], r2, pairs[4]), pairs[6]]
    p = fma(fma(quads[3], r4, quads[2]), builder.fmul(r4, r4), fma(quads[1], r4, quads[0]))
    if _has_scalef(context):
        i8 = ir.IntType(8)
        scalef = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_V4, [_V4, _V4, _V4, i8]),
                                                "llvm.x86.avx512.mask.scalef.pd.256")
        return builder.call(scalef, [p, k, ir.Constant(_V4, None), ir.Constant(i8, -1)])
    half = floor(builder.fmul(c(0.5), k))
    return builder.fmul(builder.fmul(p, pow2(half)), pow2(builder.fsub(k, half)))


@intrinsic
def logistic4(typingctx, lanes):
    """1 / (1 + e^-x) on four lanes (e^ by :func:`_exp`)."""
    def codegen(context, builder, sig, args):
        x = _vector(builder, args[0])
        one = _splat(builder, ir.Constant(ir.DoubleType(), 1.0))
        e = _exp(context, builder, builder.fneg(x))
        return _tuple(context, builder, builder.fdiv(one, builder.fadd(one, e)))
    return _T4(lanes), codegen


def _matvecs(context, builder, sig, args, blocks):
    """``blocks`` mat-vecs of one shape, column-major, interleaved: for every four rows, one accumulator per
    block, each summed over the columns in order.  Written as loops in IR so that the accumulators are vector
    registers from one column to the next (a 4-tuple carried by a Numba loop is split into four scalars and
    rebuilt on every iteration)."""
    ld, cols = args[-2], args[-1]
    intp = ld.type
    fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_V4, [_V4] * 3), "llvm.fma.v4f64")
    parts = []
    for b in range(blocks):
        M, m0, x, x0, out, o0 = args[6 * b:6 * b + 6]
        tys = sig.args[6 * b:6 * b + 6]
        data = lambda ty, v: context.make_array(ty)(context, builder, v).data  # noqa: E731
        parts.append((data(tys[0], M), m0, data(tys[2], x), x0, data(tys[4], out), o0,
                      cgutils.alloca_once(builder, _V4)))
    zero = ir.Constant(_V4, None)
    with cgutils.for_range_slice(builder, ir.Constant(intp, 0), ld, ir.Constant(intp, 4), intp) as (c, _):
        for *_, acc in parts:
            builder.store(zero, acc)
        with cgutils.for_range(builder, cols, intp=intp) as loop:
            j = loop.index
            for M, m0, x, x0, _, _, acc in parts:
                col = builder.load(builder.bitcast(builder.gep(M, [builder.add(m0, builder.add(c, builder.mul(j, ld)))]),
                                                   _V4.as_pointer()), align=8)
                xj = _splat(builder, builder.load(builder.gep(x, [builder.add(x0, j)])))
                builder.store(builder.call(fma, [col, xj, builder.load(acc)]), acc)
        for _, _, _, _, out, o0, acc in parts:
            builder.store(builder.load(acc), builder.bitcast(builder.gep(out, [builder.add(o0, c)]), _V4.as_pointer()),
                          align=8)
    return context.get_dummy_value()


@intrinsic
def matvec(typingctx, M, m0, x, x0, out, o0, ld, cols):
    """out[o0:o0+ld] = block @ x[x0:x0+cols]: the block column-major at M[m0:], ``ld`` (a multiple of 4) rows;
    each row's sum over the columns in order, one rounding per multiply-add."""
    def codegen(context, builder, sig, args):
        return _matvecs(context, builder, sig, args, 1)
    return types.none(M, m0, x, x0, out, o0, ld, cols), codegen


@intrinsic
def matvec_pair(typingctx, M1, m1, x1, y1, out1, o1, M2, m2, x2, y2, out2, o2, ld, cols):
    """Two mat-vecs of one shape at once (:func:`matvec` each): two chains of multiply-adds that hide each
    other's latency."""
    def codegen(context, builder, sig, args):
        return _matvecs(context, builder, sig, args, 2)
    return types.none(M1, m1, x1, y1, out1, o1, M2, m2, x2, y2, out2, o2, ld, cols), codegen


def _reduce4(builder, accs):
    """[sum of acc 0's lanes, ..., sum of acc 3's lanes]: lanes added pairwise (0 + 1, 2 + 3), then the pairs."""
    i32 = ir.IntType(32)
    mask = lambda *ix: ir.Constant(ir.VectorType(i32, 4), [ir.Constant(i32, i) for i in ix])  # noqa: E731

    def hadd(a, b):  # [a0 + a1, b0 + b1, a2 + a3, b2 + b3]
        return builder.fadd(builder.shuffle_vector(a, b, mask(0, 4, 2, 6)), builder.shuffle_vector(a, b, mask(1, 5, 3, 7)))

    h01, h23 = hadd(accs[0], accs[1]), hadd(accs[2], accs[3])
    return builder.fadd(builder.shuffle_vector(h01, h23, mask(0, 1, 4, 5)), builder.shuffle_vector(h01, h23, mask(2, 3, 6, 7)))


@intrinsic
def matvec_t_pair(typingctx, M, m0, ld, cols, n_out, x1, y1, out1, o1, x2, y2, out2, o2):
    """out1[o1 + j] = sum_i block[i, j] x1[y1 + i] and out2 likewise with x2, for j < ``cols``, 0 for
    cols <= j < ``n_out`` (a multiple of 4): two mat-vecs with the transpose of a column-major block of ``ld``
    rows (a multiple of 4), without transposing it.  Column j's dot products run four rows per vector, lane
    t summing rows t, t + 4, ... in order, the lanes then added pairwise.  BP's feedback B r and B_PI r_I
    with B = W^T, read from W."""
    def codegen(context, builder, sig, args):
        M_, m0_, ld_, cols_, nout_, x1_, y1_, out1_, o1_, x2_, y2_, out2_, o2_ = args
        data = lambda i: context.make_array(sig.args[i])(context, builder, args[i]).data  # noqa: E731
        m, xa, xb, oa, ob = data(0), data(5), data(9), data(7), data(11)
        intp = m0_.type
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_V4, [_V4] * 3), "llvm.fma.v4f64")
        one = ir.Constant(intp, 1)
        last = builder.sub(cols_, one)
        lanes = ir.Constant(ir.VectorType(intp, 4), [ir.Constant(intp, t) for t in range(4)])
        zero = ir.Constant(_V4, None)
        accs = [cgutils.alloca_once(builder, _V4) for _ in range(8)]
        with cgutils.for_range_slice(builder, ir.Constant(intp, 0), nout_, ir.Constant(intp, 4), intp) as (g, _):
            bases = []
            for t in range(4):  # columns past the block's end read its last column (then zeroed)
                j = builder.add(g, ir.Constant(intp, t))
                j = builder.select(builder.icmp_signed(">", j, last), last, j)
                bases.append(builder.add(m0_, builder.mul(j, ld_)))
            for acc in accs:
                builder.store(zero, acc)
            with cgutils.for_range_slice(builder, ir.Constant(intp, 0), ld_, ir.Constant(intp, 4), intp) as (i, _):
                v1 = builder.load(builder.bitcast(builder.gep(xa, [builder.add(y1_, i)]), _V4.as_pointer()), align=8)
                v2 = builder.load(builder.bitcast(builder.gep(xb, [builder.add(y2_, i)]), _V4.as_pointer()), align=8)
                for t in range(4):
                    col = builder.load(builder.bitcast(builder.gep(m, [builder.add(bases[t], i)]), _V4.as_pointer()),
                                       align=8)
                    builder.store(builder.call(fma, [col, v1, builder.load(accs[t])]), accs[t])
                    builder.store(builder.call(fma, [col, v2, builder.load(accs[4 + t])]), accs[4 + t])
            keep = builder.icmp_signed(">", _splat(builder, builder.sub(cols_, g), ir.VectorType(intp, 4)), lanes)
            for k, (out, o) in enumerate(((oa, o1_), (ob, o2_))):
                res = builder.select(keep, _reduce4(builder, [builder.load(a) for a in accs[4 * k:4 * k + 4]]), zero)
                builder.store(res, builder.bitcast(builder.gep(out, [builder.add(o, g)]), _V4.as_pointer()), align=8)
        return context.get_dummy_value()
    return types.none(M, m0, ld, cols, n_out, x1, y1, out1, o1, x2, y2, out2, o2), codegen


@intrinsic
def transpose_tile(typingctx, W, at, ldW, cols_left, B, BPI, bat, ldB, rows_left):
    """BP's feedback, one 4 x 4 tile: B[bat + u ldB + t] = W[at + t ldW + u] and B_PI = -B for the tile's first
    ``rows_left`` columns u of B (the rest belong to the next block), with the columns t >= ``cols_left`` of W
    read as zero (past the block's end).  Four loads, eight shuffles, the stores.  W must be readable for four
    full columns from ``at`` (the kernel's W is followed by other rows of the same array)."""
    def codegen(context, builder, sig, args):
        W_, at_, ldW_, cols_, B_, BPI_, bat_, ldB_, rows_ = args
        data = lambda i: context.make_array(sig.args[i])(context, builder, args[i]).data  # noqa: E731
        w, b, bpi = data(0), data(4), data(5)
        intp = at_.type
        cols = []
        for t in range(4):
            ptr = builder.bitcast(builder.gep(w, [builder.add(at_, builder.mul(ir.Constant(intp, t), ldW_))]),
                                  _V4.as_pointer())
            v = builder.load(ptr, align=8)
            keep = builder.icmp_signed(">", cols_, ir.Constant(intp, t))
            cols.append(builder.select(keep, v, ir.Constant(_V4, None)))
        i32 = ir.IntType(32)
        mask = lambda *ix: ir.Constant(ir.VectorType(i32, 4), [ir.Constant(i32, i) for i in ix])  # noqa: E731
        lo01 = builder.shuffle_vector(cols[0], cols[1], mask(0, 4, 2, 6))
        hi01 = builder.shuffle_vector(cols[0], cols[1], mask(1, 5, 3, 7))
        lo23 = builder.shuffle_vector(cols[2], cols[3], mask(0, 4, 2, 6))
        hi23 = builder.shuffle_vector(cols[2], cols[3], mask(1, 5, 3, 7))
        rows = [builder.shuffle_vector(lo01, lo23, mask(0, 1, 4, 5)), builder.shuffle_vector(hi01, hi23, mask(0, 1, 4, 5)),
                builder.shuffle_vector(lo01, lo23, mask(2, 3, 6, 7)), builder.shuffle_vector(hi01, hi23, mask(2, 3, 6, 7))]
        for u, row in enumerate(rows):
            with cgutils.if_likely(builder, builder.icmp_signed(">", rows_, ir.Constant(intp, u))):
                off = builder.add(bat_, builder.mul(ir.Constant(intp, u), ldB_))
                builder.store(row, builder.bitcast(builder.gep(b, [off]), _V4.as_pointer()), align=8)
                builder.store(builder.fneg(row), builder.bitcast(builder.gep(bpi, [off]), _V4.as_pointer()), align=8)
        return context.get_dummy_value()
    return types.none(W, at, ldW, cols_left, B, BPI, bat, ldB, rows_left), codegen
