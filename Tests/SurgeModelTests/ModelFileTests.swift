import Testing
@testable import SurgeModel

@Suite struct ModelFileTests {
    let shape = LSTMShape(features: 3, hidden: 4, layers: 2)

    var model: ModelFile {
        ModelFile(parameters: .initialized(shape, seed: 1), horizonTicks: 3, windowTicks: 30, features: [
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
            _ = try ModelFile.decode(Array(bytes.prefix(60)))
        } catch {
            #expect(error.description == "file ends at byte 60, in the middle of the name of feature 1: truncated")
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
        bytes[8] = 2
        #expect(throws: ModelFileError.unsupportedVersion(found: 2, supported: 1)) { _ = try ModelFile.decode(bytes) }
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
