import Foundation
import Testing

/// `surgewatch simulate --workers`, the real binary: a shop whose bottleneck is its worker pool
/// (the host unlike the built-in model's training shops in BENCHMARKS.md).
@Suite final class SimulateCommandTests {
    let directory = NSTemporaryDirectory() + "surgewatch-simulate-\(UUID().uuidString.prefix(8))"

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Ticks over `threshold` in `column` of a written trace.
    func ticks(over threshold: Double, in column: String, of path: String) throws -> Int {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let index = try #require(lines.first?.split(separator: ",").firstIndex { $0 == column })
        return lines.dropFirst().count { line in
            Double(line.split(separator: ",", omittingEmptySubsequences: false)[index]).map { $0 > threshold } ?? false
        }
    }

    @Test func fewerWorkersOverflowTheListenQueueWithoutCPUPressure() throws {
        var overflows: [Int] = [], pressure: [Int] = []
        for workers in ["400", "60"] {
            let output = directory + "/flash-\(workers).csv"
            let (code, _, err) = try DaemonProcess.run(["simulate", "--demand", "flash-sale", "--days", "7", "--seed", "202",
                                                        "--workers", workers, "--output", output], timeout: .seconds(60))
            #expect(code == 0, "\(err)")
            overflows.append(try ticks(over: 0, in: "tcp_listen_overflows_per_s", of: output))
            pressure.append(try ticks(over: 50, in: "psi_cpu_some_avg10", of: output))
        }
        #expect(overflows[1] > 2 * overflows[0], "listen-queue overflow ticks, 400 workers against 60: \(overflows)")
        #expect(pressure[1] < pressure[0], "ticks of CPU pressure above 50 %, 400 workers against 60: \(pressure)")

        let (zero, _, zeroErr) = try DaemonProcess.run(["simulate", "--demand", "flash-sale", "--workers", "0", "--output", directory + "/x.csv"])
        #expect(zero != 0 && zeroErr.contains("--workers must be in [1, 1000000]"), "\(zeroErr)")
        let (alibaba, _, alibabaErr) = try DaemonProcess.run(["simulate", "--demand", "alibaba", "--input", "day_1.csv", "--workers", "60",
                                                              "--output", directory + "/x.csv"])
        #expect(alibaba != 0 && alibabaErr.contains("--workers: the Alibaba trace has no shop model"), "\(alibabaErr)")
    }
}
