/// C (+)= A · W for the LSTM's products, register-tiled.
///
/// Why tiles of 2 rows × 32 columns (8 SIMD8 accumulators) and 1 × 64 for a single row: a
/// multiply-add has a latency of about 4 cycles and a throughput of 2 per cycle, so a kernel
/// needs about 8 independent accumulator chains to keep the unit busy. The earlier kernel held
/// 4 (one row × 32 columns) and ran at half speed, bound by latency, whatever the vector width.
///
/// Operands are strided views so that the same kernel serves every product of forward and
/// backward without copying: A[i, k] = a[i·aRow + k·aColumn] (a transposed operand is just other
/// strides), W[k, :] = w[k·wRow ..< k·wRow + n] (rows contiguous), C[i, :] at c + i·cRow.
enum MatrixProduct {
    typealias V = SIMD8<Float>

    struct Operand {
        let base: UnsafePointer<Float>
        let rowStride: Int
        let columnStride: Int
        @inline(__always) func at(_ i: Int, _ k: Int) -> Float { base[i &* rowStride &+ k &* columnStride] }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { VectorMath.load(p) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { VectorMath.store(v, p) }
    @inline(__always) static func start(_ p: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> V { accumulate ? load(p) : V(repeating: 0) }

    /// C[i, 0..<n] (+)= Σ_{k < depth} A[i, k] · W[k, 0..<n] for i < m.
    ///
    /// Tile sizes follow the register file: an FMA build (AVX2: 16 registers of 8 floats)
    /// holds 8 accumulators; the portable build (SSE2: 16 registers of 4 floats, a SIMD8 takes
    /// two) holds 4, as more spill to memory there (measured: training 2.4 → 3.3 ms).
    static func multiply(m: Int, n: Int, depth: Int, a: Operand, w: UnsafePointer<Float>, wRow: Int,
                         c: UnsafeMutablePointer<Float>, cRow: Int, accumulate: Bool) {
        // Long products (the weight gradients: depth T·B = 960) in slices of W that stay in
        // L1 while every row of A passes over them. Unsliced, each 2-row tile streamed all of
        // W from L2 for 8 multiply-adds per row of W, and the L2's bandwidth was the limit
        // (dW_ih and dW_hh ran at 29 % of peak, two thirds of backward's time).
        let slice = max(8, depthSliceBytes / (4 * max(n, 1)))
        guard depth > slice, m > 2 else {
            multiplyUnsliced(m: m, n: n, depth: depth, a: a, w: w, wRow: wRow, c: c, cRow: cRow, accumulate: accumulate)
            return
        }
        var k0 = 0
        while k0 < depth {
            let part = min(slice, depth - k0)
            multiplyUnsliced(m: m, n: n, depth: part,
                             a: Operand(base: a.base + k0 * a.columnStride, rowStride: a.rowStride, columnStride: a.columnStride),
                             w: w + k0 * wRow, wRow: wRow, c: c, cRow: cRow, accumulate: accumulate || k0 > 0)
            k0 += part
        }
    }

    /// The bytes of W one depth slice may take: half of a 32 KiB L1 data cache, the rest for
    /// A's slice and C.
    static let depthSliceBytes = 16 * 1024

    private static func multiplyUnsliced(m: Int, n: Int, depth: Int, a: Operand, w: UnsafePointer<Float>, wRow: Int,
                                         c: UnsafeMutablePointer<Float>, cRow: Int, accumulate: Bool) {
        #if SURGEWATCH_FMA
        let pairWidth = 4 * L, singleWidth = 8 * L
        #else
        let pairWidth = 2 * L, singleWidth = 4 * L
        #endif
        var i = 0
        #if SURGEWATCH_FMA
        // Four rows at a time, so that products only 2 vectors wide (n = 32 on AVX-512: the
        // backward's dh = dz·W_hhᵀ and the gradient to the layer below) still run 8 chains:
        // with 2 rows they had 4 and ran at half the multiply-add rate.
        while i + 4 <= m {
            var col = 0
            while col + pairWidth <= n {
                tile2x4W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                tile2x4W(i + 2, col, depth, a, w, wRow, c, cRow, accumulate)
                col += pairWidth
            }
            while col + 2 * L <= n {
                tile4x2W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 2 * L
            }
            while col + 8 <= n {
                tile2x8(i, col, depth, a, w, wRow, c, cRow, accumulate)
                tile2x8(i + 2, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 8
            }
            scalarColumns(rows: i..<(i + 4), from: col, n, depth, a, w, wRow, c, cRow, accumulate)
            i += 4
        }
        #endif
        while i + 2 <= m {
            var col = 0
            while col + pairWidth <= n {
                #if SURGEWATCH_FMA
                tile2x4W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #else
                tile2x2W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #endif
                col += pairWidth
            }
            while col + 2 * L <= n {
                tile2x2W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 2 * L
            }
            while col + 8 <= n {
                tile2x8(i, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 8
            }
            scalarColumns(rows: i..<(i + 2), from: col, n, depth, a, w, wRow, c, cRow, accumulate)
            i += 2
        }
        if i < m {
            var col = 0
            while col + singleWidth <= n {
                #if SURGEWATCH_FMA
                tile1x8W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #else
                tile1x4W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #endif
                col += singleWidth
            }
            while col + 4 * L <= n {
                tile1x4W(i, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 4 * L
            }
            while col + 8 <= n {
                tile1x8(i, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 8
            }
            scalarColumns(rows: i..<(i + 1), from: col, n, depth, a, w, wRow, c, cRow, accumulate)
        }
    }

    // Wide tiles, in vectors of W: SIMD16 on an AVX-512 build (32 registers of 16 floats),
    // SIMD8 otherwise. `L` is W's lane count, a constant the compiler folds.
    typealias W = KernelBuild.Vector
    static let L = W.scalarCount

    @inline(__always) static func loadW(_ p: UnsafePointer<Float>) -> W { VectorMath.load(p) }
    @inline(__always) static func storeW(_ v: W, _ p: UnsafeMutablePointer<Float>) { VectorMath.store(v, p) }
    @inline(__always) static func startW(_ p: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> W { accumulate ? loadW(p) : W(repeating: 0) }

    /// 2 rows × 2 vectors (portable build: 4 accumulators).
    @inline(__always)
    private static func tile2x2W(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow
        var x0 = startW(c0, accumulate), x1 = startW(c0 + L, accumulate)
        var y0 = startW(c1, accumulate), y1 = startW(c1 + L, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = W(repeating: a.at(i, k)), v = W(repeating: a.at(i &+ 1, k))
            let w0 = loadW(row), w1 = loadW(row + L)
            x0 = KernelBuild.madd(x0, u, w0); x1 = KernelBuild.madd(x1, u, w1)
            y0 = KernelBuild.madd(y0, v, w0); y1 = KernelBuild.madd(y1, v, w1)
            row += wRow
        }
        storeW(x0, c0); storeW(x1, c0 + L)
        storeW(y0, c1); storeW(y1, c1 + L)
    }

    /// 4 rows × 2 vectors (FMA builds: 8 accumulators).
    @inline(__always)
    private static func tile4x2W(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow, c2 = c1 + cRow, c3 = c2 + cRow
        var x0 = startW(c0, accumulate), x1 = startW(c0 + L, accumulate)
        var y0 = startW(c1, accumulate), y1 = startW(c1 + L, accumulate)
        var u0 = startW(c2, accumulate), u1 = startW(c2 + L, accumulate)
        var v0 = startW(c3, accumulate), v1 = startW(c3 + L, accumulate)
        var row = w + col
        for k in 0..<depth {
            let w0 = loadW(row), w1 = loadW(row + L)
            let a0 = W(repeating: a.at(i, k)), a1 = W(repeating: a.at(i &+ 1, k))
            let a2 = W(repeating: a.at(i &+ 2, k)), a3 = W(repeating: a.at(i &+ 3, k))
            x0 = KernelBuild.madd(x0, a0, w0); x1 = KernelBuild.madd(x1, a0, w1)
            y0 = KernelBuild.madd(y0, a1, w0); y1 = KernelBuild.madd(y1, a1, w1)
            u0 = KernelBuild.madd(u0, a2, w0); u1 = KernelBuild.madd(u1, a2, w1)
            v0 = KernelBuild.madd(v0, a3, w0); v1 = KernelBuild.madd(v1, a3, w1)
            row += wRow
        }
        storeW(x0, c0); storeW(x1, c0 + L)
        storeW(y0, c1); storeW(y1, c1 + L)
        storeW(u0, c2); storeW(u1, c2 + L)
        storeW(v0, c3); storeW(v1, c3 + L)
    }

    /// 1 row × 4 vectors (portable build).
    @inline(__always)
    private static func tile1x4W(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col
        var x0 = startW(c0, accumulate), x1 = startW(c0 + L, accumulate), x2 = startW(c0 + 2 * L, accumulate), x3 = startW(c0 + 3 * L, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = W(repeating: a.at(i, k))
            x0 = KernelBuild.madd(x0, u, loadW(row)); x1 = KernelBuild.madd(x1, u, loadW(row + L))
            x2 = KernelBuild.madd(x2, u, loadW(row + 2 * L)); x3 = KernelBuild.madd(x3, u, loadW(row + 3 * L))
            row += wRow
        }
        storeW(x0, c0); storeW(x1, c0 + L); storeW(x2, c0 + 2 * L); storeW(x3, c0 + 3 * L)
    }

    /// 2 rows × 4 vectors (FMA builds: 8 accumulators).
    @inline(__always)
    private static func tile2x4W(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow
        var x0 = startW(c0, accumulate), x1 = startW(c0 + L, accumulate), x2 = startW(c0 + 2 * L, accumulate), x3 = startW(c0 + 3 * L, accumulate)
        var y0 = startW(c1, accumulate), y1 = startW(c1 + L, accumulate), y2 = startW(c1 + 2 * L, accumulate), y3 = startW(c1 + 3 * L, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = W(repeating: a.at(i, k)), v = W(repeating: a.at(i &+ 1, k))
            let w0 = loadW(row), w1 = loadW(row + L), w2 = loadW(row + 2 * L), w3 = loadW(row + 3 * L)
            x0 = KernelBuild.madd(x0, u, w0); x1 = KernelBuild.madd(x1, u, w1); x2 = KernelBuild.madd(x2, u, w2); x3 = KernelBuild.madd(x3, u, w3)
            y0 = KernelBuild.madd(y0, v, w0); y1 = KernelBuild.madd(y1, v, w1); y2 = KernelBuild.madd(y2, v, w2); y3 = KernelBuild.madd(y3, v, w3)
            row += wRow
        }
        storeW(x0, c0); storeW(x1, c0 + L); storeW(x2, c0 + 2 * L); storeW(x3, c0 + 3 * L)
        storeW(y0, c1); storeW(y1, c1 + L); storeW(y2, c1 + 2 * L); storeW(y3, c1 + 3 * L)
    }

    /// 1 row × 8 vectors (FMA builds).
    @inline(__always)
    private static func tile1x8W(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col
        var x0 = startW(c0, accumulate), x1 = startW(c0 + L, accumulate), x2 = startW(c0 + 2 * L, accumulate), x3 = startW(c0 + 3 * L, accumulate)
        var x4 = startW(c0 + 4 * L, accumulate), x5 = startW(c0 + 5 * L, accumulate), x6 = startW(c0 + 6 * L, accumulate), x7 = startW(c0 + 7 * L, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = W(repeating: a.at(i, k))
            x0 = KernelBuild.madd(x0, u, loadW(row)); x1 = KernelBuild.madd(x1, u, loadW(row + L))
            x2 = KernelBuild.madd(x2, u, loadW(row + 2 * L)); x3 = KernelBuild.madd(x3, u, loadW(row + 3 * L))
            x4 = KernelBuild.madd(x4, u, loadW(row + 4 * L)); x5 = KernelBuild.madd(x5, u, loadW(row + 5 * L))
            x6 = KernelBuild.madd(x6, u, loadW(row + 6 * L)); x7 = KernelBuild.madd(x7, u, loadW(row + 7 * L))
            row += wRow
        }
        storeW(x0, c0); storeW(x1, c0 + L); storeW(x2, c0 + 2 * L); storeW(x3, c0 + 3 * L)
        storeW(x4, c0 + 4 * L); storeW(x5, c0 + 5 * L); storeW(x6, c0 + 6 * L); storeW(x7, c0 + 7 * L)
    }

    @inline(__always)
    private static func tile2x8(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow
        var x = start(c0, accumulate), y = start(c1, accumulate)
        var row = w + col
        for k in 0..<depth {
            let wk = load(row)
            x = KernelBuild.madd(x, V(repeating: a.at(i, k)), wk)
            y = KernelBuild.madd(y, V(repeating: a.at(i &+ 1, k)), wk)
            row += wRow
        }
        store(x, c0); store(y, c1)
    }

    @inline(__always)
    private static func tile1x8(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col
        var x = start(c0, accumulate)
        var row = w + col
        for k in 0..<depth {
            x = KernelBuild.madd(x, V(repeating: a.at(i, k)), load(row))
            row += wRow
        }
        store(x, c0)
    }

    /// Columns left over when n is not a multiple of 8 (hidden sizes that are not).
    private static func scalarColumns(rows: Range<Int>, from first: Int, _ n: Int, _ depth: Int, _ a: Operand,
                                      _ w: UnsafePointer<Float>, _ wRow: Int, _ c: UnsafeMutablePointer<Float>, _ cRow: Int,
                                      _ accumulate: Bool) {
        guard first < n else { return }
        for i in rows {
            for col in first..<n {
                var sum: Float = accumulate ? c[i * cRow + col] : 0
                for k in 0..<depth { sum += a.at(i, k) * w[k * wRow + col] }
                c[i * cRow + col] = sum
            }
        }
    }
}
