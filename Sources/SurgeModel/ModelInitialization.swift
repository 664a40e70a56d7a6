/// Parameters initialised as PyTorch does for nn.LSTM and nn.Linear(H, C): every weight and
/// bias uniform in ±1/sqrt(H) (Linear's kaiming_uniform(a=√5) comes to the same bound with
/// fan-in H). Deterministic for a seed; not PyTorch's random stream.
extension LSTMParameters {
    public static func initialized(_ shape: LSTMShape, seed: UInt64) -> LSTMParameters {
        var generator = SeededGenerator(seed: seed)
        let bound = 1 / Float(shape.hidden).squareRoot()
        var parameters = LSTMParameters.zeros(shape)
        for index in parameters.values.indices {
            parameters.values[index] = (generator.nextUnitFloat() * 2 - 1) * bound
        }
        return parameters
    }
}

/// xoshiro256** seeded through SplitMix64: small, fast and the same on every platform, so a
/// seed gives the same model and the same training run everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mix = seed
        func splitMix() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = (state.3 << 45) | (state.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 24 random bits: every value exactly representable as Float.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }
}
