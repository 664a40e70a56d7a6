import Testing
@testable import SurgeModel

@Suite struct ModelFileTests {
    let shape = LSTMShape(features: 3, hidden: 4, layers: 2)

    var model: ModelFile {
        ModelFile(parameters: .initialized(shape, seed: 1), horizonTicks: 3, windowTicks: 30, tickSeconds: 10, features: [
            .init(name: "cpu_busy", transform: .identity, mean: 0.3, standardDeviation: 0.2),
            .init(name: "tcp_established", transform: .log1p, mean: 4.1, standardDeviation: 1.3),
            .init(name: "psi_cpu_some_avg10", transform: .identity, mean: 2, standardDeviation: 5),
        ])
    }

    @Test func roundTripsExactly() throws {
        let bytes = model.encoded()
        #expect(Array(bytes.prefix(8)) == Array("SURGEWM\0".utf8))
        #expect(try ModelFile.decode(bytes, expecting: shape) == model)
    }

    @Test func theTickLengthIsKeptInMillisecondsOrNotAtAll() throws {
        let bytes = model.encoded()
        #expect(bytes.littleEndian(UInt32.self, at: 8) == 2)
        #expect(bytes.littleEndian(UInt32.self, at: 36) == 10_000)
        var unknown = model
        unknown.tickSeconds = nil
        #expect(try ModelFile.decode(unknown.encoded()).tickSeconds == nil)
        var odd = model
        odd.tickSeconds = 2.5
        #expect(try ModelFile.decode(odd.encoded()).tickSeconds == 2.5)
        // A trace's median spacing carries clock noise: milliseconds are what is kept.
        let noisy = ModelFile(parameters: model.parameters, horizonTicks: 3, windowTicks: 30, tickSeconds: 10.000_4, features: model.features)
        #expect(noisy.tickSeconds == 10)
        for impossible in [0, -1, .nan, .infinity, 1e9] {
            #expect(ModelFile(parameters: model.parameters, horizonTicks: 3, windowTicks: 30, tickSeconds: impossible,
                              features: model.features).tickSeconds == nil)
        }
        var tooLong = bytes
        tooLong.replaceSubrange(36..<40, with: [0x01, 0x5C, 0x26, 0x05] /* 86,400,001 ms */)
        tooLong.replaceSubrange(tooLong.count - 4..<tooLong.count, with: Self.checksumBytes(tooLong.dropLast(4)))
        #expect(throws: ModelFileError.invalid("a tick of 86400001 ms, longer than a day")) { _ = try ModelFile.decode(tooLong) }
    }

    /// A file written before the tick length was recorded: read as it was, with no tick length,
    /// and its weights keep the checksum records were kept under.
    @Test func versionOneFilesAreStillRead() throws {
        let old = model.encoded(formatVersion: 1)
        #expect(old.count == model.encoded().count - 4)
        #expect(old.littleEndian(UInt32.self, at: 8) == 1)
        var expected = model
        expected.tickSeconds = nil
        #expect(try ModelFile.decode(old) == expected)
        #expect(model.weightsChecksum == old.littleEndian(UInt32.self, at: old.count - 4))
        #expect(expected.weightsChecksum == model.weightsChecksum)
    }

    /// The checksum that names a model's weights tells other weights apart (a whole file's CRC
    /// would not: any bytes followed by their own CRC-32 give 0x2144DF1C).
    @Test func theWeightsChecksumTellsModelsApart() {
        var other = model
        other.parameters.values[0] += 1
        #expect(other.weightsChecksum != model.weightsChecksum)
        #expect(CRC32.checksum(other.encoded()) == CRC32.checksum(model.encoded()), "the residue that made the old key useless")
        var retuned = model
        retuned.features[0].mean = 0.31
        #expect(retuned.weightsChecksum != model.weightsChecksum)
    }

    static func checksumBytes<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out: [UInt8] = []
        out.appendLittleEndian(CRC32.checksum(bytes))
        return out
    }

    @Test func everyTruncationIsNamedNeverACrash() {
        let bytes = model.encoded()
        for length in 0..<bytes.count {
            do {
                _ = try ModelFile.decode(Array(bytes.prefix(length)))
                Issue.record("a file cut to \(length) bytes was accepted")
            } catch {
                switch error {
                case .truncated, .notAModel: break
                default: Issue.record("cut to \(length) bytes: \(error)")
                }
            }
        }
        do {
            _ = try ModelFile.decode(Array(bytes.prefix(64)))
        } catch {
            #expect(error.description == "file ends at byte 64, in the middle of the name of feature 1: truncated")
        }
    }

    @Test func everyFlippedByteIsCaught() {
        let bytes = model.encoded()
        for index in bytes.indices {
            var corrupted = bytes
            corrupted[index] ^= 0x40
            #expect(throws: ModelFileError.self, "byte \(index) flipped was accepted") {
                _ = try ModelFile.decode(corrupted)
            }
        }
        var weight = bytes
        weight[bytes.count - 20] ^= 1
        #expect(throws: ModelFileError.checksumMismatch(stored: CRC32.checksum(bytes.prefix(bytes.count - 4)),
                                                        computed: CRC32.checksum(weight.prefix(weight.count - 4)))) {
            _ = try ModelFile.decode(weight)
        }
    }

    @Test func wrongVersionMagicAndShapeAreNamed() {
        var bytes = model.encoded()
        bytes[8] = 3
        #expect(throws: ModelFileError.unsupportedVersion(found: 3, supported: 2)) { _ = try ModelFile.decode(bytes) }
        #expect(ModelFileError.unsupportedVersion(found: 3, supported: 2).description == "model format version 3; this surgewatch reads versions 1 to 2")
        #expect(throws: ModelFileError.notAModel) { _ = try ModelFile.decode(Array("SQLite format 3\0".utf8) + bytes) }
        let other = LSTMShape(features: 3, hidden: 8, layers: 2)
        #expect(throws: ModelFileError.shapeMismatch(expected: other, found: shape)) {
            _ = try ModelFile.decode(model.encoded(), expecting: other)
        }
        #expect(ModelFileError.shapeMismatch(expected: other, found: shape).description == "model is F=3 H=4 L=2, the configuration needs F=3 H=8 L=2")
    }

    @Test func checksummedGarbageIsStillRefused() {
        var bad = model
        bad.parameters.values[5] = .nan
        #expect(throws: ModelFileError.invalid("parameter 5 is nan")) { _ = try ModelFile.decode(bad.encoded()) }
        var scaling = model
        scaling.features[1].standardDeviation = 0
        #expect(throws: ModelFileError.invalid("scaling of tcp_established is unusable (mean 4.1, deviation 0.0)")) {
            _ = try ModelFile.decode(scaling.encoded())
        }
    }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
