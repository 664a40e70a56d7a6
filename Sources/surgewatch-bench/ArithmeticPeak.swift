import SurgeModel

/// The single-core arithmetic peak this build can reach: independent SIMD8 multiply-adds on
/// registers only (12 accumulator chains, more than latency × issue width needs), fused on an
/// FMA build as the LSTM kernels are. Figures of the engine are quoted as a share of this.
/// Vectors as wide as the kernels' (SIMD16 on an AVX-512 build). Returns GFLOP/s, counting a
/// multiply-add as two operations.
func measuredArithmeticPeakGflops(iterations: Int = 4_000_000) -> Double {
    typealias V = KernelBuild.Vector
    @inline(__always) func madd(_ acc: V, _ a: V, _ b: V) -> V { KernelBuild.madd(acc, a, b) }
    var best = 0.0
    for _ in 0..<5 {
        let a = V(repeating: 0.999_999), b = V(repeating: 1e-7)
        var x0 = V(repeating: 1), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0
        var x6 = x0, x7 = x0, x8 = x0, x9 = x0, x10 = x0, x11 = x0
        let start = wallMicroseconds()
        for _ in 0..<iterations {
            x0 = madd(b, x0, a); x1 = madd(b, x1, a); x2 = madd(b, x2, a); x3 = madd(b, x3, a)
            x4 = madd(b, x4, a); x5 = madd(b, x5, a); x6 = madd(b, x6, a); x7 = madd(b, x7, a)
            x8 = madd(b, x8, a); x9 = madd(b, x9, a); x10 = madd(b, x10, a); x11 = madd(b, x11, a)
        }
        let elapsed = wallMicroseconds() - start
        let sum = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11
        if sum.sum() == 0 { print("unreachable") }  // keeps the loop alive
        best = max(best, Double(iterations) * 12 * Double(V.scalarCount) * 2 / elapsed / 1e3)
    }
    return best
}
