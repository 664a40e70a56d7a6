import Foundation
import InMemoryLogging
import Logging
import SurgeConfig
import SurgeDetection
import SurgeModel
import SurgeSampling
import SurgeStore
import Testing
@testable import SurgeDaemon

/// A start gives online learning back its memory from the ticks stored in a real SQLite file:
/// the windows a run that never stopped would hold.
@Suite struct StoredTicksRecallTests {
    let directory = NSTemporaryDirectory() + "surgewatch-recall-\(UUID().uuidString.prefix(8))"
    /// The stored table has a column the config does not read, and another order.
    let stored = MetricSchema(["y", "unused", "x"])
    let schema = MetricSchema(["x", "y"])
    let base = 1_700_000_000.0

    var config: SurgeConfig { storedTicksConfig(feature: "x") }

    /// x climbs before y, the rule's metric, says overload: 3 overload ticks in every 40.
    func values(_ tick: Int) -> (x: Double, y: Double) {
        let phase = tick % 40
        return (Double(phase) / 10 + 0.0123456789, (37..<40).contains(phase) ? 1 : 0)
    }

    func stage(_ path: String, logger: Logger) throws -> (SurgeStore, DetectionStage) {
        let store = try SurgeStore(path: path)
        let fresh = ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model", untrained: true)
        return (store, try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                          history: nil, logger: logger))
    }

    @Test func aStartRecallsTheWindowsOfTheStoredTicks() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        // The run that stored the ticks, and what its learning memory held when it stopped.
        // 2,000 ticks give 1,993 windows with a known target (full from the 6th tick, the last 2
        // still waiting), 4 in every 40 of them overload (overload within 2 ticks).
        let (store, live) = try stage(directory + "/surgewatch.db", logger: logger)
        for tick in 1...2_000 {
            let (x, y) = values(tick)
            let time = base + Double(tick) * 10
            _ = live.ingest(Sample(timestamp: time, tick: tick, schema: schema, values: [x, y]))
            store.stage(Sample(timestamp: time, tick: tick, schema: stored, values: [y, 5, x]))
            try store.commit()
        }
        let held = try #require(live.pipeline.learner?.replay)
        #expect(held.counts[1] > 100, "the live run held overload windows (\(held.counts))")

        let (_, started) = try stage(directory + "/surgewatch.db", logger: logger)
        let recalled = try #require(started.pipeline.learner?.replay)
        let same = recalled == held
        #expect(same, "the start holds the windows the run held (\(recalled.counts) against \(held.counts))")
        let message = try #require(handler.entries.map(\.message.description).first { $0.hasPrefix("online learning recalls ") })
        #expect(message.hasPrefix("online learning recalls the 1993 labelled windows (200 of overload) of the 2000 ticks stored since 2023-11-14T22:13:30Z, in 1 run an interval apart: its memory holds \(held.counts[0]) normal and \(held.counts[1]) overload windows (read in "),
                "\(message)")
    }

    /// The newest ticks count most: those written after a wall clock was set back are
    /// recalled, as a run of their own, not skipped as `export` skips them.
    @Test func ticksAfterAClockSetBackAreRecalledAsARunOfTheirOwn() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SurgeStore(path: directory + "/surgewatch.db")
        for tick in 1...200 {
            // The clock is set back 1,500 s after the 100th tick.
            let time = base + Double(tick) * 10 - (tick > 100 ? 1_500 : 0)
            store.stage(Sample(timestamp: time, tick: tick, schema: stored, values: [0, 5, Double(tick % 7)]))
            try store.commit()
        }
        let handler = InMemoryLogHandler()
        let (_, started) = try stage(directory + "/surgewatch.db", logger: Logger(label: "test") { _ in handler })
        #expect(started.pipeline.learner != nil)
        // Each run of 100 ticks: 95 full windows, the last 2 still waiting.
        #expect(handler.entries.contains { $0.message.description.hasPrefix(
            "online learning recalls the 186 labelled windows (0 of overload) of the 200 ticks stored since 2023-11-14T22:13:30Z, in 2 runs an interval apart: ") },
            "\(handler.entries.map(\.message.description))")
    }

    /// Stored ticks that cannot be read (here the file gone from under the open store) are a
    /// fault the start warns of, where a start with nothing stored only says so.
    @Test func storedTicksThatCannotBeReadAreWarnedOf() throws {
        let store = try storeWhoseFileIsGone(in: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handler = InMemoryLogHandler()
        let fresh = ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model", untrained: true)
        _ = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                               history: nil, logger: Logger(label: "test") { _ in handler })
        let said = handler.entries.filter { $0.message.description.hasPrefix("online learning starts with an empty memory: the stored ticks cannot be read (") }
        #expect(said.count == 1 && said.first?.level == .warning, "\(handler.entries.map(\.message.description))")
    }

    @Test func aStartWithNothingStoredSaysSo() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handler = InMemoryLogHandler()
        let (_, started) = try stage(directory + "/surgewatch.db", logger: Logger(label: "test") { _ in handler })
        #expect(started.pipeline.learner?.replay.counts == [0, 0])
        #expect(handler.entries.contains { $0.message.description == "online learning starts with an empty memory: no tick stored yet" && $0.level == .info })
    }

    /// Five hours of ticks whose rule metric was wrong (y says overload at every tick): a start
    /// recalls them as overload windows, which crowd the overload half of the memory; once
    /// `surgewatch forget` deleted them, the start recalls the ticks on either side only, in two
    /// runs, with the overload windows of the true episodes.
    @Test func aForgottenSpanIsNotRecalled() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/surgewatch.db"
        let store = try SurgeStore(path: path)
        let wrong = 1_001...2_800
        for tick in 1...4_000 {
            let (x, y) = values(tick)
            store.stage(Sample(timestamp: base + Double(tick) * 10, tick: tick, schema: stored, values: [wrong.contains(tick) ? 1 : y, 5, x]))
            if tick % 500 == 0 { try store.commit() }
        }
        func recalled() throws -> (counts: [Int], message: String) {
            let handler = InMemoryLogHandler()
            let (_, started) = try stage(path, logger: Logger(label: "test") { _ in handler })
            let message = try #require(handler.entries.map(\.message.description).first { $0.hasPrefix("online learning recalls ") })
            return (try #require(started.pipeline.learner?.replay).counts, message)
        }
        let before = try recalled()
        let forgotten = try ForgottenSpan.forget(in: path, from: base + 1_001 * 10, to: base + 2_800 * 10)
        #expect(forgotten.samples == wrong.count)
        let after = try recalled()
        #expect(before.counts[1] > 1_000, "the wrong span filled the overload memory: \(before.message)")
        #expect(after.counts[1] < 300, "without it, the true episodes' windows: \(after.message)")
        #expect(after.message.contains(" of the 2200 ticks stored since 2023-11-14T22:13:30Z, in 2 runs an interval apart"), "\(after.message)")
    }
}
