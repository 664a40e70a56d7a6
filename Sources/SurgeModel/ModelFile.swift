/// The model file (`.swm`): everything needed to predict with a trained model, checksummed.
///
/// Little-endian throughout:
///
///     offset  size  field
///     0       8     magic "SURGEWM\0"
///     8       4     format version (2; version 1 lacks the tick length)
///     12      4×6   F, H, L, C, horizon_ticks, window_ticks
///     36      4     tick length in milliseconds the model was trained at (0: not recorded)
///     40      4     feature count (= F), then per feature:
///                     2 + n  UTF-8 name (length-prefixed)
///                     1      transform (0 identity, 1 log1p, 2 log1p less the host's running level)
///                     4 + 4  mean, standard deviation (Float32) of the transformed value
///     ...     4     parameter count N, then N Float32 in PyTorch's names, order and layout
///     end−4   4     CRC-32 (IEEE) of every byte before it
///
/// Loading checks the structure first (so a cut file says where it was cut), then the
/// checksum, then the meaning (finite weights, positive deviations, the shape a caller needs).
/// Version 1 files (before the tick length was recorded) are read too.
public struct ModelFile: Equatable, Sendable {
    public static let magic: [UInt8] = Array("SURGEWM".utf8) + [0]
    public static let version: UInt32 = 2

    public var parameters: LSTMParameters
    public var horizonTicks: Int
    public var windowTicks: Int
    /// Seconds per tick of the data the model was trained or learned on; nil when not recorded
    /// (version 1). The horizon and window are counted in ticks, so this says what they mean
    /// in time.
    public var tickSeconds: Double?
    public var features: [FeatureScaling]

    public init(parameters: LSTMParameters, horizonTicks: Int, windowTicks: Int, tickSeconds: Double?, features: [FeatureScaling]) {
        precondition(features.count == parameters.shape.features, "one scaling per input feature")
        self.parameters = parameters
        self.horizonTicks = horizonTicks
        self.windowTicks = windowTicks
        // Milliseconds, as the file keeps it; a length it cannot keep is not recorded.
        self.tickSeconds = tickSeconds.flatMap { $0 >= 0.001 && $0 <= 86_400 ? ($0 * 1000).rounded() / 1000 : nil }
        self.features = features
    }

    public struct FeatureScaling: Equatable, Sendable {
        public enum Transform: UInt8, Sendable {
            case identity = 0
            case log1p = 1
            /// log1p of the value less its running level on the host (`HostLevels`): a count
            /// read against the host's own usual, the same on a host of any size.
            case log1pRelative = 2
        }
        public var name: String
        public var transform: Transform
        public var mean: Float
        public var standardDeviation: Float

        public init(name: String, transform: Transform, mean: Float, standardDeviation: Float) {
            self.name = name
            self.transform = transform
            self.mean = mean
            self.standardDeviation = standardDeviation
        }
    }

    public func encoded() -> [UInt8] { encoded(formatVersion: Self.version) }

    /// What identifies the model's weights: the checksum a version-1 file of it stores (over its
    /// sizes, scaling and weights), the same whatever metadata later versions add. Not the CRC
    /// of a whole file: that of any bytes followed by their own CRC-32 is the constant 0x2144DF1C.
    public var weightsChecksum: UInt32 { CRC32.checksum(encoded(formatVersion: 1).dropLast(4)) }

    func encoded(formatVersion: UInt32) -> [UInt8] {
        var out = Self.magic
        let shape = parameters.shape
        var header = [formatVersion, UInt32(shape.features), UInt32(shape.hidden), UInt32(shape.layers), UInt32(shape.classes),
                      UInt32(horizonTicks), UInt32(windowTicks)]
        if formatVersion >= 2 { header.append(tickSeconds.map { UInt32(($0 * 1000).rounded()) } ?? 0) }
        header.append(UInt32(features.count))
        for value in header { out.appendLittleEndian(value) }
        for feature in features {
            let name = Array(feature.name.utf8)
            out.appendLittleEndian(UInt16(name.count))
            out += name
            out.append(feature.transform.rawValue)
            out.appendLittleEndian(feature.mean.bitPattern)
            out.appendLittleEndian(feature.standardDeviation.bitPattern)
        }
        out.appendLittleEndian(UInt32(shape.parameterCount))
        for tensor in shape.tensors {
            for value in parameters.pytorchTensor(tensor.name)! { out.appendLittleEndian(value.bitPattern) }
        }
        out.appendLittleEndian(CRC32.checksum(out))
        return out
    }

    /// Reads a model; `expecting` is the shape the caller's config needs, if it needs one.
    public static func decode(_ bytes: [UInt8], expecting: LSTMShape? = nil) throws(ModelFileError) -> ModelFile {
        var reader = ByteReader(bytes)
        guard bytes.count >= magic.count else { throw .truncated(at: bytes.count, reading: "the magic number") }
        guard Array(bytes[0..<magic.count]) == magic else { throw .notAModel }
        reader.offset = magic.count
        let version = try reader.uint32("the format version")
        guard (1...Self.version).contains(version) else { throw .unsupportedVersion(found: version, supported: Self.version) }
        let F = Int(try reader.uint32("F")), H = Int(try reader.uint32("H")), L = Int(try reader.uint32("L"))
        let C = Int(try reader.uint32("C"))
        let horizon = Int(try reader.uint32("horizon_ticks")), window = Int(try reader.uint32("window_ticks"))
        guard (1...4096).contains(F), (1...4096).contains(H), (1...64).contains(L), (2...64).contains(C) else {
            throw .invalid("implausible sizes F=\(F) H=\(H) L=\(L) C=\(C)")
        }
        let tickMilliseconds = version >= 2 ? try reader.uint32("the tick length") : 0
        let featureCount = Int(try reader.uint32("the feature count"))
        guard featureCount == F else { throw .invalid("\(featureCount) feature names for F=\(F)") }
        var features: [FeatureScaling] = []
        for index in 0..<featureCount {
            let length = Int(try reader.uint16("the name of feature \(index)"))
            let nameBytes = try reader.bytes(length, "the name of feature \(index)")
            guard let name = String(validating: nameBytes, as: UTF8.self), !name.isEmpty else {
                throw .invalid("the name of feature \(index) is not UTF-8 text")
            }
            let transformCode = try reader.byte("the transform of \(name)")
            guard let transform = FeatureScaling.Transform(rawValue: transformCode) else {
                throw .invalid("unknown transform \(transformCode) for \(name)")
            }
            let mean = Float(bitPattern: try reader.uint32("the mean of \(name)"))
            let deviation = Float(bitPattern: try reader.uint32("the deviation of \(name)"))
            features.append(FeatureScaling(name: name, transform: transform, mean: mean, standardDeviation: deviation))
        }
        let shape = LSTMShape(features: F, hidden: H, layers: L, classes: C)
        let count = Int(try reader.uint32("the parameter count"))
        guard count == shape.parameterCount else {
            throw .invalid("\(count) parameters where F=\(F) H=\(H) L=\(L) needs \(shape.parameterCount)")
        }
        var parameters = LSTMParameters.zeros(shape)
        for tensor in shape.tensors {
            var values = [Float](repeating: 0, count: tensor.count)
            for index in 0..<tensor.count { values[index] = Float(bitPattern: try reader.uint32(tensor.name)) }
            parameters.setPytorchTensor(tensor.name, values)
        }
        let stored = try reader.uint32("the checksum")
        guard reader.offset == bytes.count else { throw .invalid("\(bytes.count - reader.offset) bytes after the checksum") }
        let computed = CRC32.checksum(bytes[0..<(bytes.count - 4)])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        // Meaning, once the bytes are known to be the ones written.
        if let bad = parameters.values.firstIndex(where: { !$0.isFinite }) {
            throw .invalid("parameter \(bad) is \(parameters.values[bad])")
        }
        for feature in features where !(feature.standardDeviation > 0) || !feature.mean.isFinite {
            throw .invalid("scaling of \(feature.name) is unusable (mean \(feature.mean), deviation \(feature.standardDeviation))")
        }
        if let expecting, expecting != shape {
            throw .shapeMismatch(expected: expecting, found: shape)
        }
        guard tickMilliseconds <= 86_400_000 else { throw .invalid("a tick of \(tickMilliseconds) ms, longer than a day") }
        return ModelFile(parameters: parameters, horizonTicks: horizon, windowTicks: window,
                         tickSeconds: tickMilliseconds == 0 ? nil : Double(tickMilliseconds) / 1000, features: features)
    }
}

public enum ModelFileError: Error, Equatable, CustomStringConvertible, Sendable {
    case notAModel
    case truncated(at: Int, reading: String)
    case unsupportedVersion(found: UInt32, supported: UInt32)
    case checksumMismatch(stored: UInt32, computed: UInt32)
    case shapeMismatch(expected: LSTMShape, found: LSTMShape)
    case invalid(String)

    public var description: String {
        func sizes(_ s: LSTMShape) -> String { "F=\(s.features) H=\(s.hidden) L=\(s.layers)" }
        switch self {
        case .notAModel: return "not a surgewatch model file (no SURGEWM header)"
        case .truncated(let offset, let what): return "file ends at byte \(offset), in the middle of \(what): truncated"
        case .unsupportedVersion(let found, let supported):
            return "model format version \(found); this surgewatch reads versions 1 to \(supported)"
        case .checksumMismatch(let stored, let computed):
            return "checksum mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16))): the file is corrupted"
        case .shapeMismatch(let expected, let found):
            return "model is \(sizes(found)), the configuration needs \(sizes(expected))"
        case .invalid(let reason): return "invalid model: \(reason)"
        }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func bytes(_ count: Int, _ what: String) throws(ModelFileError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else { throw .truncated(at: bytes.count, reading: what) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func byte(_ what: String) throws(ModelFileError) -> UInt8 { try bytes(1, what)[0] }

    mutating func uint16(_ what: String) throws(ModelFileError) -> UInt16 {
        let b = try bytes(2, what)
        return UInt16(b[0]) | UInt16(b[1]) << 8
    }

    mutating func uint32(_ what: String) throws(ModelFileError) -> UInt32 {
        let b = try bytes(4, what)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }
}

extension Array where Element == UInt8 {
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for shift in stride(from: 0, to: T.bitWidth, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    /// The `T` stored little endian at `offset` (the caller checked that it fits).
    public func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for index in (0..<MemoryLayout<T>.size).reversed() { value = value << 8 | T(self[offset + index]) }
        return value
    }
}

/// CRC-32 (IEEE 802.3, as zlib and gzip compute it).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
