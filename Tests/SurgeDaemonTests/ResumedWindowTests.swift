import Foundation
import SurgeSampling
import SurgeStore
import Testing
@testable import SurgeDaemon

/// The window a start resumes from the ticks the last run stored, read from a real SQLite file.
@Suite struct ResumedWindowTests {
    let directory = NSTemporaryDirectory() + "surgewatch-resume-\(UUID().uuidString.prefix(8))"
    var path: String { directory + "/surgewatch.db" }
    let stored = MetricSchema(["cpu_busy", "load1", "gone"])
    let base = 1_700_000_000.0

    /// Ticks stamped `times`, cpu_busy = tick / 100, load1 = tick.
    func store(_ times: [Double]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SurgeStore(path: path)
        for (index, time) in times.enumerated() {
            store.stage(Sample(timestamp: time, tick: index + 1, schema: stored, values: [Double(index + 1) / 100, Double(index + 1), 7]))
            try store.commit()
        }
    }

    func read(now: Double, schema: MetricSchema? = nil) -> ResumedWindow.Outcome {
        ResumedWindow.read(store: path, schema: schema ?? stored, capacity: 30, intervalSeconds: 10, now: now)
    }

    @Test func aQuickRestartResumesTheLastWindowByName() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store((1...40).map { base + Double($0) * 10 })
        // The schema of this start: another order, one metric the database lacks, one it has left.
        let schema = MetricSchema(["load1", "new_metric", "cpu_busy"])
        let outcome = read(now: base + 404, schema: schema)
        let window = try #require(outcome.window)
        #expect(window.count == 30 && window.schema == schema)
        #expect((0..<30).map { window.value(row: $0, column: 0) } == (11...40).map(Float.init))
        #expect((0..<30).map { window.value(row: $0, column: 2) } == (11...40).map { Float(Double($0) / 100) })
        #expect((0..<30).allSatisfy { window.value(row: $0, column: 1).isNaN })
        #expect(window.timestamp(row: 29) == base + 400)
        #expect(outcome.message == "the window resumes with 30 ticks stored up to 2023-11-14T22:20:00Z (4s before this start)")
        #expect(read(now: base + 400.3).message.hasSuffix("(under a second before this start)"))
    }

    /// Ticks the restart skipped come in as missing rows, up to what carry-forward covers.
    @Test func skippedTicksAreMissingRowsUpToTheCarry() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store((1...40).map { base + Double($0) * 10 })
        let outcome = read(now: base + 435)   // 3.5 intervals: ticks at +410, +420, +430 skipped
        let window = try #require(outcome.window)
        #expect(window.count == 30)
        #expect((27..<30).allSatisfy { window.value(row: $0, column: 0).isNaN })
        #expect(window.value(row: 26, column: 1) == 40 && window.timestamp(row: 29) == base + 430)
        #expect(outcome.message == "the window resumes with 27 ticks stored up to 2023-11-14T22:20:00Z (35s before this start), and 3 missing for the ticks the restart skipped")

        let late = read(now: base + 450)
        #expect(late.window == nil)
        #expect(late.message == "the window starts empty: the newest stored tick is from 2023-11-14T22:20:00Z, 50s before this start")
        let setBack = read(now: base + 300)
        #expect(setBack.window == nil && setBack.message.hasSuffix("after this start's time (the clock was set back)"), "\(setBack.message)")
    }

    /// Only the newest run of ticks an interval apart: not across an earlier outage, nor
    /// across a change of interval.
    @Test func onlyTheNewestRunOfTicksAnIntervalApart() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = (1...20).map { base + Double($0) * 10 }
        let after = (1...12).map { base + 1_000 + Double($0) * 10 }
        try store(before + after)
        let outcome = read(now: base + 1_130)
        let window = try #require(outcome.window)
        #expect(window.count == 12 && window.value(row: 0, column: 1) == 21)
        #expect(outcome.message.hasPrefix("the window resumes with 12 ticks stored up to "))

        // At 5 s ticks the stored 10 s ticks are no run: one tick, the newest.
        let faster = ResumedWindow.read(store: path, schema: stored, capacity: 30, intervalSeconds: 5, now: base + 1_125)
        #expect(faster.window?.count == 1)
        // Nor at 20 s ticks, though they lie half an interval apart.
        let slower = ResumedWindow.read(store: path, schema: stored, capacity: 30, intervalSeconds: 20, now: base + 1_140)
        #expect(slower.window?.count == 1, "\(slower.message)")
    }

    @Test func nothingStoredOrNoDatabaseStartsEmpty() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let absent = read(now: base)
        #expect(absent.window == nil && absent.message.hasPrefix("the window starts empty: the stored ticks cannot be read ("), "\(absent.message)")
        #expect(absent.unreadable, "a fault, which the start warns of")
        try store([])
        let empty = read(now: base)
        #expect(empty.message == "the window starts empty: no tick stored yet")
        #expect(!empty.unreadable)
    }
}
