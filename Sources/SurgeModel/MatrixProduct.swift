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

    @inline(__always) static func madd(_ acc: V, _ a: V, _ b: V) -> V { VectorMath.madd(acc, a, b) }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    @inline(__always) static func start(_ p: UnsafeMutablePointer<Float>, _ accumulate: Bool) -> V { accumulate ? load(p) : V(repeating: 0) }

    /// C[i, 0..<n] (+)= Σ_{k < depth} A[i, k] · W[k, 0..<n] for i < m.
    ///
    /// Tile sizes follow the register file: an FMA build (AVX2: 16 registers of 8 floats)
    /// holds 8 accumulators; the portable build (SSE2: 16 registers of 4 floats, a SIMD8 takes
    /// two) holds 4, as more spill to memory there (measured: training 2.4 → 3.3 ms).
    static func multiply(m: Int, n: Int, depth: Int, a: Operand, w: UnsafePointer<Float>, wRow: Int,
                         c: UnsafeMutablePointer<Float>, cRow: Int, accumulate: Bool) {
        #if SURGEWATCH_FMA
        let pairWidth = 32, singleWidth = 64
        #else
        let pairWidth = 16, singleWidth = 32
        #endif
        var i = 0
        while i + 2 <= m {
            var col = 0
            while col + pairWidth <= n {
                #if SURGEWATCH_FMA
                tile2x32(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #else
                tile2x16(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #endif
                col += pairWidth
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
                tile1x64(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #else
                tile1x32(i, col, depth, a, w, wRow, c, cRow, accumulate)
                #endif
                col += singleWidth
            }
            while col + 8 <= n {
                tile1x8(i, col, depth, a, w, wRow, c, cRow, accumulate)
                col += 8
            }
            scalarColumns(rows: i..<(i + 1), from: col, n, depth, a, w, wRow, c, cRow, accumulate)
        }
    }

    @inline(__always)
    private static func tile2x16(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow
        var x0 = start(c0, accumulate), x1 = start(c0 + 8, accumulate)
        var y0 = start(c1, accumulate), y1 = start(c1 + 8, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = V(repeating: a.at(i, k)), v = V(repeating: a.at(i &+ 1, k))
            let w0 = load(row), w1 = load(row + 8)
            x0 = madd(x0, u, w0); x1 = madd(x1, u, w1)
            y0 = madd(y0, v, w0); y1 = madd(y1, v, w1)
            row += wRow
        }
        store(x0, c0); store(x1, c0 + 8)
        store(y0, c1); store(y1, c1 + 8)
    }

    @inline(__always)
    private static func tile1x32(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col
        var x0 = start(c0, accumulate), x1 = start(c0 + 8, accumulate), x2 = start(c0 + 16, accumulate), x3 = start(c0 + 24, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = V(repeating: a.at(i, k))
            x0 = madd(x0, u, load(row)); x1 = madd(x1, u, load(row + 8))
            x2 = madd(x2, u, load(row + 16)); x3 = madd(x3, u, load(row + 24))
            row += wRow
        }
        store(x0, c0); store(x1, c0 + 8); store(x2, c0 + 16); store(x3, c0 + 24)
    }

    @inline(__always)
    private static func tile2x32(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow
        var x0 = start(c0, accumulate), x1 = start(c0 + 8, accumulate), x2 = start(c0 + 16, accumulate), x3 = start(c0 + 24, accumulate)
        var y0 = start(c1, accumulate), y1 = start(c1 + 8, accumulate), y2 = start(c1 + 16, accumulate), y3 = start(c1 + 24, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = V(repeating: a.at(i, k)), v = V(repeating: a.at(i &+ 1, k))
            let w0 = load(row), w1 = load(row + 8), w2 = load(row + 16), w3 = load(row + 24)
            x0 = madd(x0, u, w0); x1 = madd(x1, u, w1); x2 = madd(x2, u, w2); x3 = madd(x3, u, w3)
            y0 = madd(y0, v, w0); y1 = madd(y1, v, w1); y2 = madd(y2, v, w2); y3 = madd(y3, v, w3)
            row += wRow
        }
        store(x0, c0); store(x1, c0 + 8); store(x2, c0 + 16); store(x3, c0 + 24)
        store(y0, c1); store(y1, c1 + 8); store(y2, c1 + 16); store(y3, c1 + 24)
    }

    @inline(__always)
    private static func tile1x64(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                 _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col
        var x0 = start(c0, accumulate), x1 = start(c0 + 8, accumulate), x2 = start(c0 + 16, accumulate), x3 = start(c0 + 24, accumulate)
        var x4 = start(c0 + 32, accumulate), x5 = start(c0 + 40, accumulate), x6 = start(c0 + 48, accumulate), x7 = start(c0 + 56, accumulate)
        var row = w + col
        for k in 0..<depth {
            let u = V(repeating: a.at(i, k))
            x0 = madd(x0, u, load(row)); x1 = madd(x1, u, load(row + 8))
            x2 = madd(x2, u, load(row + 16)); x3 = madd(x3, u, load(row + 24))
            x4 = madd(x4, u, load(row + 32)); x5 = madd(x5, u, load(row + 40))
            x6 = madd(x6, u, load(row + 48)); x7 = madd(x7, u, load(row + 56))
            row += wRow
        }
        store(x0, c0); store(x1, c0 + 8); store(x2, c0 + 16); store(x3, c0 + 24)
        store(x4, c0 + 32); store(x5, c0 + 40); store(x6, c0 + 48); store(x7, c0 + 56)
    }

    @inline(__always)
    private static func tile2x8(_ i: Int, _ col: Int, _ depth: Int, _ a: Operand, _ w: UnsafePointer<Float>, _ wRow: Int,
                                _ c: UnsafeMutablePointer<Float>, _ cRow: Int, _ accumulate: Bool) {
        let c0 = c + i * cRow + col, c1 = c0 + cRow
        var x = start(c0, accumulate), y = start(c1, accumulate)
        var row = w + col
        for k in 0..<depth {
            let wk = load(row)
            x = madd(x, V(repeating: a.at(i, k)), wk)
            y = madd(y, V(repeating: a.at(i &+ 1, k)), wk)
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
            x = madd(x, V(repeating: a.at(i, k)), load(row))
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
