import Foundation
import Testing

/// Issue 4's allocation-free hot path, checked for real: `surgewatch-bench alloc` interposes
/// malloc in its own process and counts heap allocations per call after warm-up.
@Suite struct LSTMAllocationTests {
    static let bench = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("surgewatch-bench").path

    func audit(_ arguments: [String]) throws -> [String: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.bench)
        process.arguments = ["alloc"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? Double ?? ($0 as? Int).map(Double.init) }
    }

    @Test(arguments: [
        [String](),                                                  // bench.py's shapes
        ["--t", "7", "--f", "3", "--h", "5", "--layers", "3", "--train-batch", "3"],  // odd sizes: every tail path
    ])
    func hotPathsAllocateNothing(_ arguments: [String]) throws {
        let counts = try audit(arguments)
        #expect((counts["probe"] ?? 0) >= 1, "the counter must see an allocation made on purpose")
        for path in ["window_forward", "stream_step", "sliding_push", "train_step"] {
            #expect(counts[path] == 0, "\(path) allocated \(counts[path].map { String($0) } ?? "?") times")
        }
    }
}
