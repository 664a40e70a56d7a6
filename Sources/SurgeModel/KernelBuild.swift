/// What this build of the kernels computes with, as chosen by scripts/swift-cpu-flags:
/// the vector width of the wide tiles and whether multiply-adds are fused. Public so that the
/// benchmark measures the peak with the very same arithmetic and names the build it ran.
public enum KernelBuild {
    #if SURGEWATCH_AVX512
    public static let name = "avx512"
    public typealias Vector = SIMD16<Float>
    /// The CPU features (as /proc/cpuinfo names them) the build was compiled for.
    public static let requiredCPUFeatures = ["avx2", "fma", "bmi2", "avx512f", "avx512vl", "avx512bw", "avx512dq"]
    #elseif SURGEWATCH_FMA
    public static let name = "fma"
    public typealias Vector = SIMD8<Float>
    public static let requiredCPUFeatures = ["avx2", "fma", "bmi2"]
    #else
    public static let name = "portable"
    public typealias Vector = SIMD8<Float>
    public static let requiredCPUFeatures: [String] = []
    #endif

    /// acc + a·b, fused where the build targets FMA hardware: without FMA hardware, Swift's
    /// `addingProduct` becomes a libm call per lane, so the portable build multiplies and adds.
    ///
    /// One concrete function per vector type, not a generic: a generic version with
    /// `@_specialize` kept, even where it was inlined into the kernels, a runtime comparison of
    /// type metadata inside every inner loop, and on SIMD16 the compiler then merged both
    /// paths into half-width multiply-adds, shuffles and spills (session 20: the AVX-512 build's
    /// window inference ran at a third of peak, slower than the AVX2 build). Concrete
    /// overloads are also what a debug build (tests; this module is optimised file by file)
    /// can call from another file without falling back to generic code.
    @inlinable @inline(__always)
    public static func madd(_ acc: SIMD4<Float>, _ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> {
        #if SURGEWATCH_FMA
        return acc.addingProduct(a, b)
        #else
        return acc + a * b
        #endif
    }

    @inlinable @inline(__always)
    public static func madd(_ acc: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        #if SURGEWATCH_FMA
        return acc.addingProduct(a, b)
        #else
        return acc + a * b
        #endif
    }

    @inlinable @inline(__always)
    public static func madd(_ acc: SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        #if SURGEWATCH_FMA
        return acc.addingProduct(a, b)
        #else
        return acc + a * b
        #endif
    }
}
