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

    /// acc + a·b for any vector width, fused where the build targets FMA hardware: without FMA
    /// hardware, Swift's `addingProduct` becomes a libm call per lane, so the portable build
    /// multiplies and adds.
    /// Pre-specialised for the kernels' vector types: a debug build (tests) compiles this module
    /// optimised but file by file, and without these a call from another file stays generic.
    @inlinable @inline(__always)
    @_specialize(where T == SIMD8<Float>)
    @_specialize(where T == SIMD16<Float>)
    @_specialize(where T == SIMD4<Float>)
    public static func madd<T: SIMD>(_ acc: T, _ a: T, _ b: T) -> T where T.Scalar: BinaryFloatingPoint {
        #if SURGEWATCH_FMA
        return acc.addingProduct(a, b)
        #else
        return acc + a * b
        #endif
    }
}
