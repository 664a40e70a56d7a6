/// exp, sigmoid and tanh on SIMD8<Float>, for the cell update's 5H activations per step.
/// libm's scalar expf/tanhf made up about half of a step's time.
///
/// exp(x) = 2^n · e^r with n = round(x / ln 2), r = x − n·ln 2 (ln 2 split in two for exact
/// reduction), e^r by a degree-6 polynomial on |r| ≤ ln2/2: relative error below 2e-7, so the
/// gates agree with PyTorch well inside the 1e-5 tolerance (the golden tests check it).
enum VectorMath {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func exp(_ x: V) -> V {
        let clamped = clamp(x, -87.3, 88.3)
        // Round to nearest by adding and removing 1.5·2²³: plain SSE2, where .rounded() would
        // fall back to a libm call per lane on the baseline x86-64 target.
        let magic = V(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + magic   // bit pattern: 0x4B400000 + n
        let n = shifted - magic
        let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-6
        // e^r ≈ 1 + r + r²/2 + r³/6 + r⁴/24 + r⁵/120 + r⁶/720 (Horner)
        var p = V(repeating: 1.0 / 720)
        p = madd(V(repeating: 1.0 / 120), p, r)
        p = madd(V(repeating: 1.0 / 24), p, r)
        p = madd(V(repeating: 1.0 / 6), p, r)
        p = madd(V(repeating: 0.5), p, r)
        p = madd(V(repeating: 1), p, r)
        p = madd(V(repeating: 1), p, r)
        // 2^n through the exponent bits, taking n from the rounded float's own bit pattern
        // (converting Float lanes to Int32 goes through a slow generic path in the stdlib).
        let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }

    @inline(__always)
    static func madd(_ acc: V, _ a: V, _ b: V) -> V { KernelBuild.madd(acc, a, b) }

    @inline(__always)
    static func sigmoid(_ x: V) -> V {
        1 / (1 + exp(-x))
    }

    /// tanh(x) = 1 − 2 / (e^{2x} + 1); past |x| = 9 it is ±1 in Float anyway.
    @inline(__always)
    static func tanh(_ x: V) -> V {
        return 1 - 2 / (exp(2 * clamp(x, -9, 9)) + 1)
    }

    /// Masked blends; `clamped(lowerBound:upperBound:)` compiles to out-of-line generic calls.
    @inline(__always)
    static func clamp(_ x: V, _ low: Float, _ high: Float) -> V {
        var v = x
        v.replace(with: low, where: v .< low)
        v.replace(with: high, where: v .> high)
        return v
    }

    /// A whole vector of any width from unaligned floats: the one load every kernel uses.
    @inline(__always)
    static func load<T: SIMD>(_ pointer: UnsafePointer<Float>, as _: T.Type = T.self) -> T where T.Scalar == Float {
        UnsafeRawPointer(pointer).loadUnaligned(as: T.self)
    }

    @inline(__always)
    static func store<T: SIMD>(_ v: T, _ pointer: UnsafeMutablePointer<Float>) where T.Scalar == Float {
        UnsafeMutableRawPointer(pointer).storeBytes(of: v, as: T.self)
    }

    /// The first `count` lanes (count < 8 at a tail), the rest zero.
    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>, _ count: Int) -> V {
        if count >= 8 { return load(pointer, as: V.self) }
        var v = V(repeating: 0)
        for lane in 0..<count { v[lane] = pointer[lane] }
        return v
    }

    @inline(__always)
    static func store(_ v: V, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 8 { store(v, pointer); return }
        for lane in 0..<count { pointer[lane] = v[lane] }
    }
}
