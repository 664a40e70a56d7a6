#if canImport(Glibc)
import Glibc
#endif

/// The arithmetic of one LSTM step, on raw pointers (see the legend in LSTMShape.swift).
/// Kernels are [rows × G] row-major; loops over G are contiguous.
enum LSTMKernels {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { VectorMath.load(p) }

    /// Activates z in place (i, f, o sigmoid; g tanh), then computes c, tanh(c) and h, eight
    /// hidden units at a time. Two simple passes rather than one that keeps seven vectors
    /// live: the compiler kept the fused version in registers poorly (spills, half-width code).
    /// Never inlined: inside the large step loops the inliner ran out of budget and left the
    /// SIMD loads as calls; as a leaf function everything in it is inlined.
    @inline(never)
    static func cellUpdate(z: UnsafeMutablePointer<Float>, H: Int, cPrev: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        activate(z, count: 2 * H, Sigmoid.self)
        activate(z + 2 * H, count: H, Tanh.self)
        activate(z + 3 * H, count: H, Sigmoid.self)
        var j = 0
        while j + 8 <= H {
            let cell = cellMath(i: load(z + j), f: load(z + H + j), g: load(z + 2 * H + j), o: load(z + 3 * H + j), cPrev: load(cPrev + j))
            store(cell.c, c + j)
            store(cell.tanhC, tanhC + j)
            store(cell.h, h + j)
            j += 8
        }
        if j < H {  // a hidden size that is not a multiple of 8: the same on partial vectors
            let n = H - j
            func part(_ p: UnsafePointer<Float>) -> V { VectorMath.load(p, n) }
            let cell = cellMath(i: part(z + j), f: part(z + H + j), g: part(z + 2 * H + j), o: part(z + 3 * H + j), cPrev: part(cPrev + j))
            VectorMath.store(cell.c, c + j, n)
            VectorMath.store(cell.tanhC, tanhC + j, n)
            VectorMath.store(cell.h, h + j, n)
        }
    }

    /// The activation as a type, not a function value: a generic parameter is specialised and
    /// inlined, where `VectorMath.tanh` passed as a closure stayed a call per vector.
    protocol Activation { static func apply(_ x: V) -> V }
    enum Sigmoid: Activation { @inline(__always) static func apply(_ x: V) -> V { VectorMath.sigmoid(x) } }
    enum Tanh: Activation { @inline(__always) static func apply(_ x: V) -> V { VectorMath.tanh(x) } }

    @inline(__always)
    private static func activate<A: Activation>(_ p: UnsafeMutablePointer<Float>, count: Int, _: A.Type) {
        var j = 0
        while j + 8 <= count {
            store(A.apply(load(p + j)), p + j)
            j += 8
        }
        if j < count { VectorMath.store(A.apply(VectorMath.load(p + j, count - j)), p + j, count - j) }
    }

    /// c = f·c_prev + i·g, tanh(c), h = o·tanh(c) on activated gates. Values in, values out:
    /// the full blocks load whole vectors, so no lane count reaches the main loop (with a count
    /// parameter the compiler kept the block out of line and paid for the tail logic 4× a row).
    @inline(__always)
    private static func cellMath(i: V, f: V, g: V, o: V, cPrev: V) -> (c: V, tanhC: V, h: V) {
        let cell = VectorMath.madd(i * g, f, cPrev)
        let tc = VectorMath.tanh(cell)
        return (cell, tc, o * tc)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { VectorMath.store(v, p) }

    /// logits = bias + weight · h (weight [C × H], PyTorch layout); numerically stable softmax.
    @inline(__always)
    static func head(h: UnsafePointer<Float>, H: Int, C: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                     logits: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>) {
        var largest = -Float.infinity
        for cls in 0..<C {
            var sum = bias[cls]
            let row = weight + cls * H
            for j in 0..<H { sum += row[j] * h[j] }
            logits[cls] = sum
            largest = max(largest, sum)
        }
        var total: Float = 0
        for cls in 0..<C {
            let e = expf(logits[cls] - largest)
            probabilities[cls] = e
            total += e
        }
        for cls in 0..<C { probabilities[cls] /= total }
    }

    /// One step of BPTT through the cell: from dh (arriving output gradient + the later step's
    /// dh) and dc of the later step, the gate pre-activation gradient dz [G]; updates dcNext.
    /// Eight hidden units at a time, full blocks apart from the tail (see `cellUpdate`).
    @inline(never)
    static func cellBackward(H: Int, dOut: UnsafePointer<Float>, dhNext: UnsafePointer<Float>, dcNext: UnsafeMutablePointer<Float>,
                             gates: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                             dz: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= H {
            cellBackwardBlock(H: H, j: j, n: 8, dOut: dOut, dhNext: dhNext, dcNext: dcNext, gates: gates, tanhC: tanhC, cPrev: cPrev, dz: dz)
            j += 8
        }
        if j < H {
            cellBackwardBlock(H: H, j: j, n: H - j, dOut: dOut, dhNext: dhNext, dcNext: dcNext, gates: gates, tanhC: tanhC, cPrev: cPrev, dz: dz)
        }
    }

    @inline(__always)
    private static func cellBackwardBlock(H: Int, j: Int, n: Int, dOut: UnsafePointer<Float>, dhNext: UnsafePointer<Float>,
                                          dcNext: UnsafeMutablePointer<Float>, gates: UnsafePointer<Float>, tanhC: UnsafePointer<Float>,
                                          cPrev: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>) {
        func load(_ p: UnsafePointer<Float>) -> V { VectorMath.load(p, n) }
        func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { VectorMath.store(v, p, n) }
        let i = load(gates + j), f = load(gates + H + j), g = load(gates + 2 * H + j), o = load(gates + 3 * H + j)
        let dh = load(dOut + j) + load(dhNext + j)
        let tc = load(tanhC + j)
        let dc = load(dcNext + j) + dh * o * (1 - tc * tc)
        store(dc * f, dcNext + j)
        store(dc * g * i * (1 - i), dz + j)
        store(dc * load(cPrev + j) * f * (1 - f), dz + H + j)
        store(dc * i * (1 - g * g), dz + 2 * H + j)
        store(dh * tc * o * (1 - o), dz + 3 * H + j)
    }

    /// z = b_ih + b_hh: the start of every gate pre-activation row (PyTorch keeps two biases).
    @inline(__always)
    static func biasSum(_ bx: UnsafePointer<Float>, _ bh: UnsafePointer<Float>, G: Int, into z: UnsafeMutablePointer<Float>) {
        for r in 0..<G { z[r] = bx[r] + bh[r] }
    }

    /// out[:] = Σ_rows m[row, :]   (m: [rows × columns]): a bias gradient from every step's dz.
    /// Four vectors of columns at a time: one chain of additions per vector was bound by the
    /// adder's latency (T·B = 960 dependent additions each).
    static func sumRows(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        var col = 0
        while col + 32 <= columns {
            var s0 = V(repeating: 0), s1 = V(repeating: 0), s2 = V(repeating: 0), s3 = V(repeating: 0)
            var p = m + col
            for _ in 0..<rows {
                s0 += load(p); s1 += load(p + 8); s2 += load(p + 16); s3 += load(p + 24)
                p += columns
            }
            store(s0, out + col); store(s1, out + col + 8); store(s2, out + col + 16); store(s3, out + col + 24)
            col += 32
        }
        while col + 8 <= columns {
            var sum = V(repeating: 0)
            for row in 0..<rows { sum += load(m + row * columns + col) }
            store(sum, out + col)
            col += 8
        }
        while col < columns {
            var sum: Float = 0
            for row in 0..<rows { sum += m[row * columns + col] }
            out[col] = sum
            col += 1
        }
    }

    /// [rows × columns] → [columns × rows].
    static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: inout [Float]) {
        target.withUnsafeMutableBufferPointer { out in
            for j in 0..<rows {
                for r in 0..<columns { out[r * rows + j] = source[j * columns + r] }
            }
        }
    }
}
