import Foundation
import Testing
import SurgeConfig
import SurgeDetection
import SurgeStore
import SurgeSampling

/// `surgewatch export`: the samples a real SurgeStore wrote come back as a trace that replays
/// exactly like the trace they came from.
@Suite final class ExportCommandTests {
    let directory = NSTemporaryDirectory() + "surgewatch-export-\(UUID().uuidString.prefix(8))"
    var database: String { directory + "/surgewatch.db" }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// A database damaged under the tool (the first page of samples overwritten) is named, with
    /// what the daemon's next start does about it, and the tool exits 1: not a trace 32 rows
    /// short and exit 0, which is what SQLite gives a connection that does not check cell sizes
    /// (seen once in CI with pointers past the page; pointers into it do it every time).
    @Test(arguments: [DamagedPointers.pastThePage, .intoThePage])
    func aDamagedDatabaseIsSaidWithWhatTheDaemonDoesAboutIt(pointers: DamagedPointers) throws {
        let store = try SurgeStore(path: database)
        let schema = MetricSchema(["cpu_busy", "load1"])
        for tick in 1...400 { store.stage(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema, values: [0.5, Double(tick)])) }
        try store.commit()
        _ = try store.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        try damageSamplesPage(of: database, leaf: 0, pointers: pointers)
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--output", directory + "/exported.csv"])
        #expect(code == 1)
        #expect(err.hasPrefix("surgewatch: \(database): the database is damaged: "), "\(err)")
        #expect(err.hasSuffix(": the database is damaged: database disk image is malformed; the daemon moves it aside at its next start "
            + "(systemctl restart surgewatch) and copies every row it can still read into a new one\n"), "\(err)")
    }

    @Test func storedSamplesReplayLikeTheTraceTheyCameFrom() throws {
        let trace = try TraceCSV.parse(Array(try Data(contentsOf: URL(fileURLWithPath: ReplayCommandTests.trace))),
                                       path: ReplayCommandTests.trace)
        let store = try SurgeStore(path: database)
        for row in 0..<trace.count { store.stage(trace.sample(row)) }
        try store.commit()

        let exported = directory + "/exported.csv"
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--output", exported])
        #expect(code == 0, "\(err)")
        #expect(err.contains("\(exported): \(trace.count) samples, \(trace.schema.count) metrics"), "\(err)")
        // The same header and, number for number, the same rows: doubles written to round-trip.
        let original = try lines(ReplayCommandTests.trace), copy = try lines(exported)
        #expect(copy.first == original.first)
        #expect(copy.count == original.count)
        let again = try TraceCSV.parse(Array(try Data(contentsOf: URL(fileURLWithPath: exported))), path: exported)
        #expect(again.timestamps == trace.timestamps)
        for name in trace.schema.names {
            let (a, b) = (trace.column(name)!, again.column(name)!)
            #expect(zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name)")
        }

        var predictions: [String] = []
        for input in [ReplayCommandTests.trace, exported] {
            let output = directory + "/\(predictions.count).pred.csv"
            let (replayed, _, replayErr) = try DaemonProcess.run(["replay", "--config", ReplayCommandTests.config, "--input", input,
                                                                  "--output", output, "--no-learn"], timeout: .seconds(120))
            #expect(replayed == 0, "\(replayErr)")
            predictions.append(try String(contentsOfFile: output, encoding: .utf8))
        }
        #expect(predictions[0] == predictions[1], "the export replays exactly as the original trace")

        // "-" is standard output for export and standard input and output for replay: the same
        // predictions through a shell's pipeline, each tool's words on stderr, naming the streams.
        let binary = DaemonProcess.binary
        let pipeline = try DaemonProcess(["-c", "set -o pipefail; '\(binary)' export --db '\(database)' --output - 2>'\(directory)/export.err' "
                                          + "| '\(binary)' replay --config '\(ReplayCommandTests.config)' --input - --output - --no-learn"],
                                         executable: "/bin/bash")
        #expect(pipeline.waitForExit(.seconds(120)) == 0, "\(pipeline.stderr)")
        #expect(pipeline.stdout == predictions[0], "\(pipeline.stdout.prefix(300))")
        #expect(pipeline.stderr.hasPrefix("replay of standard input with the built-in default model, online learning off\n"), "\(pipeline.stderr)")
        #expect(try String(contentsOfFile: directory + "/export.err", encoding: .utf8) == "standard output: \(trace.count) samples, \(trace.schema.count) metrics\n")
        #expect(!FileManager.default.fileExists(atPath: "-"), "no file named -")
    }

    /// More than one 64 KiB piece of output: every row arrives, in order, none twice.
    @Test func aLongHistoryIsWrittenWhole() throws {
        let store = try SurgeStore(path: database)
        let schema = MetricSchema(["cpu_busy", "load1", "tcp_established"])
        for tick in 1...5000 {
            store.stage(Sample(timestamp: 1_700_000_000 + Double(tick) * 10.5, tick: tick, schema: schema,
                               values: [Double(tick) / 5000, Double(tick) * 0.001, Double(tick)]))
            if tick % 500 == 0 { try store.commit() }  // the store stages at most 1000 ticks
        }
        let exported = directory + "/long.csv"
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--output", exported])
        #expect(code == 0, "\(err)")
        let written = try lines(exported)
        #expect(written.count == 5002 && written.last == "", "a header, 5000 rows and the final newline")
        #expect(try Data(contentsOf: URL(fileURLWithPath: exported)).count > 1 << 17, "several pieces")
        let rows = written.dropFirst().dropLast().map { $0.split(separator: ",").map { Double($0)! } }
        #expect(rows.enumerated().allSatisfy { index, row in
            let tick = Double(index + 1)
            return row == [1_700_000_000 + tick * 10.5, tick / 5000, tick * 0.001, tick]
        })
    }

    @Test func sinceKeepsRecentSamplesAndMissingValuesStayEmpty() throws {
        let store = try SurgeStore(path: database)
        let now = Double(time(nil))
        let schema = MetricSchema(["cpu_busy", "load1"])
        store.stage(Sample(timestamp: now - 7200, tick: 1, schema: schema, values: [0.5, 1]))
        store.stage(Sample(timestamp: now - 60.5, tick: 2, schema: schema, values: [.nan, 2.25]))
        try store.commit()
        let exported = directory + "/recent.csv"
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--since", "1h", "--output", exported])
        #expect(code == 0, "\(err)")
        #expect(try lines(exported) == ["timestamp,cpu_busy,load1", "\(NumberText.exact(now - 60.5)),,2.25", ""])
        // A past hour alone, its ends as times with their offset: the first sample only.
        let format = { (seconds: Double) in ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds)) }
        let earlier = directory + "/earlier.csv"
        let (cut, _, cutErr) = try DaemonProcess.run(["export", "--db", database, "--since", format(now - 7260), "--until", format(now - 3600),
                                                      "--output", earlier])
        #expect(cut == 0, "\(cutErr)")
        #expect(try lines(earlier) == ["timestamp,cpu_busy,load1", "\(NumberText.exact(now - 7200)),0.5,1", ""])

        let (bad, _, badErr) = try DaemonProcess.run(["export", "--db", directory + "/absent.db", "--output", directory + "/x.csv"])
        #expect(bad == 1 && badErr.contains("absent.db"), "\(badErr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/x.csv"))
    }

    /// The daemon stopped for an hour between two runs of 40 ticks: the export has the hour as
    /// the 359 ticks it cost, every value empty, so replay does not take the ticks either side
    /// for neighbours; a tick that came 3 s late is not an outage.
    @Test func anOutageIsExportedAsTheTicksItCostWithNothingInThem() throws {
        let store = try SurgeStore(path: database)
        let schema = MetricSchema(["cpu_busy", "load1", "psi_cpu_some_avg10", "tcp_established", "tcp_listen_queue_ratio",
                                   "tcp_listen_overflows_per_s"])
        let base = 1_700_000_000.0
        let first = (0..<40).map { base + Double($0) * 10 + ($0 == 20 ? 3 : 0) }
        let second = (0..<40).map { base + 390 + 3600 + Double($0) * 10 }
        for (run, times) in [first, second].enumerated() {
            for (index, time) in times.enumerated() {
                store.stage(Sample(timestamp: time, tick: index + 1, schema: schema,
                                   values: [0.2 + 0.1 * Double(run), 1, 2, 40, 0, 0]))
            }
            try store.commit()
        }
        let exported = directory + "/outage.csv"
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--output", exported])
        #expect(code == 0, "\(err)")
        #expect(err.contains("\(exported): 80 samples, 6 metrics\n"), "\(err)")
        #expect(err.contains("note: 359 empty rows where no tick was stored, over 1 outage (the longest 1h): the daemon was stopped or stalled"), "\(err)")
        let trace = try TraceCSV.parse(Array(try Data(contentsOf: URL(fileURLWithPath: exported))), path: exported)
        #expect(trace.count == 80 + 359)
        #expect(Array(trace.timestamps[40..<399]) == (1...359).map { first[39] + Double($0) * 10 })
        #expect(trace.column("cpu_busy")![40..<399].allSatisfy(\.isNaN) && trace.column("load1")![40..<399].allSatisfy(\.isNaN))
        #expect(trace.column("cpu_busy")![399] == 0.2 + 0.1 && trace.timestamps[399] == second[0])

        // Replay reads the hour as ticks with nothing known: no prediction there.
        let predictions = directory + "/outage.pred.csv"
        let (replayed, _, replayErr) = try DaemonProcess.run(["replay", "--config", DaemonProcess.repository + "/config/surgewatch.toml",
                                                              "--input", exported, "--output", predictions, "--no-learn"])
        #expect(replayed == 0, "\(replayErr)")
        let rows = try lines(predictions).dropFirst().filter { !$0.isEmpty }.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 439)
        #expect(rows[45..<399].allSatisfy { $0[1].isEmpty }, "no p while every feature is missing")
    }

    /// A month stopped, at 10 s ticks: the export fills the outage's first day of ticks only
    /// (TraceGaps.longestFill), says so, and replay reads the file.
    @Test func aMonthsOutageIsFilledWithItsFirstDayOfTicks() throws {
        let store = try SurgeStore(path: database)
        let schema = MetricSchema(["cpu_busy"])
        let base = 1_700_000_000.0
        for (run, start) in [base, base + 30 * 86_400].enumerated() {
            for index in 0..<20 {
                store.stage(Sample(timestamp: start + Double(index) * 10, tick: index + 1, schema: schema, values: [0.1 * Double(run + 1)]))
            }
            try store.commit()
        }
        let exported = directory + "/month.csv"
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--output", exported])
        #expect(code == 0, "\(err)")
        #expect(err.contains("note: \(TraceGaps.longestFill) empty rows where no tick was stored, over 1 outage (the longest 29d23h56m50s)"), "\(err)")
        #expect(err.contains("note: 1 outage was longer than \(TraceGaps.longestFill) ticks and filled with the first \(TraceGaps.longestFill) only"), "\(err)")
        let trace = try TraceCSV.parse(Array(try Data(contentsOf: URL(fileURLWithPath: exported))), path: exported)
        #expect(trace.count == 40 + TraceGaps.longestFill)
        #expect(trace.timestamps[20 + TraceGaps.longestFill - 1] == base + 190 + Double(TraceGaps.longestFill) * 10)
        #expect(trace.timestamps[20 + TraceGaps.longestFill] == base + 30 * 86_400 && trace.column("cpu_busy")!.last == 0.2)
        let filled = trace.column("cpu_busy")![20..<(20 + TraceGaps.longestFill)]
        #expect(filled.allSatisfy { $0.isNaN })

        let config = directory + "/cpu.toml"
        try "[model]\nfeatures = [\"cpu_busy\"]\n[overload]\nany = [\"cpu_busy > 0.9\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (replayed, _, replayErr) = try DaemonProcess.run(["replay", "--config", config, "--input", exported,
                                                              "--output", directory + "/month.pred.csv", "--no-learn"])
        #expect(replayed == 0, "\(replayErr)")
    }

    /// The wall clock set back 55 s while the daemon ran (ticks 10 s apart): sorted by time, the
    /// two stretches would interleave, and a tick stamped like an earlier one gives a trace
    /// that replay refuses. The rows come out in the order they were written, those not later
    /// than the last one kept left out and said; the predictions read back the same way.
    @Test func aClockSetBackLeavesOutTheRowsItPutOutOfOrder() throws {
        let store = try SurgeStore(path: database)
        let schema = MetricSchema(["cpu_busy"])
        let base = 1_700_000_000.0
        // Ticks 1-10 at base+10 ... base+100, then the clock goes back 55 s: ticks 11-20 at
        // base+55 ... base+145. Ticks 11-15 (base+55 ... base+95) are not after base+100.
        let before: [Double] = (1...10).map { base + Double($0) * 10 }
        let after: [Double] = (11...20).map { base + Double($0) * 10 - 55 }
        let times = before + after
        for (index, time) in times.enumerated() {
            let tick = index + 1
            store.stage(Sample(timestamp: time, tick: tick, schema: schema, values: [Double(tick) / 100]))
            store.stage(PredictionRecord(timestamp: time, tick: tick, probability: Double(tick) / 100, state: "normal", label: false))
            try store.commit()
        }
        let exported = directory + "/stepped.csv"
        let (code, _, err) = try DaemonProcess.run(["export", "--db", database, "--output", exported])
        #expect(code == 0, "\(err)")
        #expect(err.contains("\(exported): 15 samples, 1 metric"), "\(err)")
        #expect(err.contains("note: 5 samples left out where the wall clock had been set back (the first at 2023-11-14T22:14:15Z, after one of 2023-11-14T22:15:00Z)"), "\(err)")
        let trace = try TraceCSV.parse(Array(try Data(contentsOf: URL(fileURLWithPath: exported))), path: exported)
        #expect(trace.timestamps == before + after.suffix(5))
        #expect(trace.column("cpu_busy") == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 19, 20].map { Double($0) / 100 })

        var ticks: [Int] = []
        let steps = try PredictionHistory(path: database).forEach(since: nil) { _, tick, _, _, _ in ticks.append(tick) }
        #expect(ticks == Array(1...10) + Array(16...20))
        #expect(steps.skipped == 5 && steps.first?.kept == base + 100 && steps.first?.skipped == base + 55)

        // Up to tick 8: the step back came after the span, so nothing in it was left out.
        let early = directory + "/early.csv"
        let (earlyCode, _, earlyErr) = try DaemonProcess.run(["export", "--db", database, "--until", RFC3339.format(base + 80), "--output", early])
        #expect(earlyCode == 0 && earlyErr.contains("\(early): 8 samples, 1 metric"), "\(earlyErr)")
        #expect(!earlyErr.contains("left out"), "\(earlyErr)")
        var earlyTicks: [Int] = []
        let earlySteps = try PredictionHistory(path: database).forEach(since: nil, until: base + 80) { _, tick, _, _, _ in earlyTicks.append(tick) }
        #expect(earlyTicks == Array(1...8) && earlySteps.skipped == 0)
    }
}
