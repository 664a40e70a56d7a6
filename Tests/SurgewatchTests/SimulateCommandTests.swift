import Foundation
import Testing

/// `surgewatch simulate --workers` and `--host-size`, the real binary: a shop whose bottleneck is
/// its worker pool, and a host of another size (hosts unlike the built-in model's training shops
/// in BENCHMARKS.md).
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

    /// A flash-sale trace of `days` (seed 202) with `options`, written into the directory.
    func flashSales(days: String, _ options: [String]) throws -> String {
        let output = directory + "/flash\(options.joined()).csv"
        let (code, _, err) = try DaemonProcess.run(["simulate", "--demand", "flash-sale", "--days", days, "--seed", "202", "--output", output]
                                                   + options, timeout: .seconds(60))
        #expect(code == 0, "\(err)")
        return output
    }

    @Test func fewerWorkersOverflowTheListenQueueWithoutCPUPressure() throws {
        var overflows: [Int] = [], pressure: [Int] = []
        for workers in ["400", "60"] {
            let output = try flashSales(days: "7", ["--workers", workers])
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

    /// `--host-size`: the same demand on a host four times the nominal one writes four times
    /// the connections at the same CPU; sizes out of range and the Alibaba trace are refused.
    @Test func aLargerHostWritesMoreConnectionsAtTheSameCPU() throws {
        var established: [Int] = [], busy: [Int] = []
        for size in ["1", "4"] {
            let output = try flashSales(days: "1", ["--host-size", size])
            established.append(try ticks(over: 1000, in: "tcp_established", of: output))
            busy.append(try ticks(over: 0.5, in: "cpu_busy", of: output))
        }
        #expect(established[0] < 500 && established[1] > 4000, "ticks above 1,000 connections, sizes 1 and 4: \(established)")
        #expect(abs(busy[1] - busy[0]) < busy[0] / 10 + 20, "ticks above 50 % CPU, sizes 1 and 4: \(busy)")

        let (zero, _, zeroErr) = try DaemonProcess.run(["simulate", "--demand", "flash-sale", "--host-size", "0", "--output", directory + "/x.csv"])
        #expect(zero != 0 && zeroErr.contains("--host-size must be in [0.01, 1000]"), "\(zeroErr)")
        let (alibaba, _, alibabaErr) = try DaemonProcess.run(["simulate", "--demand", "alibaba", "--input", "day_1.csv", "--host-size", "2",
                                                              "--output", directory + "/x.csv"])
        #expect(alibaba != 0 && alibabaErr.contains("--host-size: the Alibaba trace has no shop model"), "\(alibabaErr)")
    }

    /// `--sales-output`: each sale's start, one RFC 3339 time a line, ready for `[schedule] sales`;
    /// each start is where the shop's requests leap (the surge's first tick).
    @Test func theSalesScheduleNamesEachSurgesFirstTick() throws {
        let trace = directory + "/flash.csv", sales = directory + "/sales.txt"
        let (code, out, err) = try DaemonProcess.run(["simulate", "--demand", "flash-sale", "--days", "3", "--seed", "202",
                                                      "--output", trace, "--sales-output", sales], timeout: .seconds(60))
        #expect(code == 0, "\(err)")
        let starts = try String(contentsOfFile: sales, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(out.contains("\(sales): \(starts.count) sale starts"), "\(out)")
        #expect(starts.count >= 3 && starts.count <= 12, "about two sales a day: \(starts)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let rps = try #require(lines.first?.split(separator: ",").firstIndex { $0 == "http_rps" })
        var requests: [Int: Double] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            requests[Int(cells[0])!] = Double(cells[rps])
        }
        let formatter = ISO8601DateFormatter()
        for start in starts {
            let seconds = Int(try #require(formatter.date(from: start)).timeIntervalSince1970)
            let before = try #require(requests[seconds - 10]), now = try #require(requests[seconds])
            #expect(now > 1.1 * before, "requests leap at \(start): \(before) -> \(now)")
        }
        let config = directory + "/announced.toml"
        try "[schedule]\nsales = [\(starts.map { "\"\($0)\"" }.joined(separator: ", "))]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (valid, said, invalid) = try DaemonProcess.run(["check-config", config])
        #expect(valid == 0, "the list goes into a config as it is: \(invalid)")
        #expect(said.contains("schedule: \(starts.count) announced sales, none still to come: a predicted alert fires at p >= 0.7 in the 10m before each"),
                "the sales of 2026-01 are past: \(said)")

        let (worldcup, _, worldcupErr) = try DaemonProcess.run(["simulate", "--demand", "alibaba", "--input", "day_1.csv",
                                                                "--output", trace, "--sales-output", sales])
        #expect(worldcup != 0 && worldcupErr.contains("--sales-output needs --demand flash-sale"), "\(worldcupErr)")
    }

    /// `--demand worldcup` with `--from`/`--to` (whole UTC days) and `--demand alibaba`, whose
    /// day comes from the file's name, on the datasets the repository ships.
    @Test func realDemandIsCutToItsDaysAndAlibabaKeepsItsDayFromTheFileName() throws {
        let worldCup = DaemonProcess.repository + "/datasets/worldcup98/requests_per_minute_1998-04-30_to_06-21.csv"
        let output = directory + "/wc.csv"
        let (code, out, err) = try DaemonProcess.run(["simulate", "--demand", "worldcup", "--input", worldCup,
                                                      "--from", "1998-06-11", "--to", "1998-06-11", "--output", output], timeout: .seconds(60))
        #expect(code == 0, "\(err)")
        #expect(out.contains("8640 ticks of 10 s"), "\(out)")
        let stamps = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: ",").first.flatMap { Double($0) } }
        #expect(stamps.first == 897_523_200 && stamps.last == 897_523_200 + 86_400 - 10, "1998-06-11, 00:00:00 to 23:59:50 UTC")

        let (badDay, _, badDayErr) = try DaemonProcess.run(["simulate", "--demand", "worldcup", "--input", worldCup,
                                                            "--from", "1998-06-31", "--output", directory + "/x.csv"])
        #expect(badDay == 1 && badDayErr.contains("--from: expected YYYY-MM-DD, got 1998-06-31"), "\(badDayErr)")
        let (backwards, _, backwardsErr) = try DaemonProcess.run(["simulate", "--demand", "worldcup", "--input", worldCup,
                                                                  "--from", "1998-06-10", "--to", "1998-06-01", "--output", directory + "/x.csv"])
        #expect(backwards == 1 && backwardsErr == "surgewatch: --to 1998-06-01 is before --from 1998-06-10\n", "\(backwardsErr)")
        let (outside, _, outsideErr) = try DaemonProcess.run(["simulate", "--demand", "worldcup", "--input", worldCup,
                                                              "--from", "1998-07-01", "--output", directory + "/x.csv"])
        #expect(outside == 1 && outsideErr.hasSuffix(":1: no minutes in the chosen period: the file holds 1998-04-30T21:30:00Z to 1998-06-21T23:59:00Z\n"),
                "\(outsideErr)")
        let (noInput, _, noInputErr) = try DaemonProcess.run(["simulate", "--demand", "worldcup", "--output", directory + "/x.csv"])
        // The file it names is the one a checkout holds.
        let named = DaemonProcess.repository + "/datasets/worldcup98/requests_per_minute_1998-04-30_to_06-21.csv"
        #expect(noInput == 1 && noInputErr.contains("--demand worldcup needs --input: the requests-per-minute CSV, in a checkout "
                                                    + "datasets/worldcup98/requests_per_minute_1998-04-30_to_06-21.csv"), "\(noInputErr)")
        #expect(FileManager.default.fileExists(atPath: named))

        // Day 2's file alone starts a day after day 1's start, 2018-01-02T00:00:00Z.
        let dayTwo = DaemonProcess.repository + "/datasets/alibaba2018/machine_usage_day_2_grouped_10_seconds.csv"
        let (alibaba, _, alibabaErr) = try DaemonProcess.run(["simulate", "--demand", "alibaba", "--input", dayTwo, "--output", output])
        #expect(alibaba == 0, "\(alibabaErr)")
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "timestamp,cpu_busy,mem_used_ratio,net_rx_bytes_per_s,net_tx_bytes_per_s,disk_busy_ratio")
        #expect(rows.dropFirst().first?.hasPrefix("1514851200,") == true, "\(rows.dropFirst().first ?? "")")
        #expect(!FileManager.default.fileExists(atPath: directory + "/x.csv"), "a refused run writes nothing")
    }

}
