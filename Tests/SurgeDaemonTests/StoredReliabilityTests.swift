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

/// At start the daemon reads how its stored predictions came true (Reliability.stored), row by
/// row, so that predicted alerts can quote it: the same table `alerts --record` prints.
@Suite struct StoredReliabilityTests {
    let path = NSTemporaryDirectory() + "surgewatch-reliability-\(UUID().uuidString.prefix(8)).db"

    @Test func theStreamedTableIsTheRecordsTable() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SurgeStore(path: path)
        var generator = SeededGenerator(seed: 21)
        var time = 1_700_000_000.0
        // Three runs: a restart (ticks start again at 1) and a stall of ten minutes.
        for (run, ticks) in [400, 300, 500].enumerated() {
            if run == 2 { time += 600 }
            var overloadLeft = 0
            for tick in 1...ticks {
                let u = Double(generator.nextUnitFloat())
                if overloadLeft == 0 && u > 0.95 { overloadLeft = 3 }
                let overload = overloadLeft > 0
                overloadLeft = max(0, overloadLeft - 1)
                store.stage(PredictionRecord(timestamp: time, tick: tick, probability: u < 0.03 ? nil : Double(generator.nextUnitFloat()),
                                             state: overload ? "breached" : "normal", label: u > 0.01 && u < 0.02 ? nil : overload))
                time += 10
            }
            try store.commit()  // at most 1,000 ticks wait for a commit
        }
        #expect(store.droppedPredictions == 0)

        var config = CheckpointTests().config  // a small model over x, rule y > 0.5
        config.model.horizonTicks = 2
        let streamed = try Reliability.stored(in: path, config: config)
        let record = try HostRecord.stored(in: path, since: nil, config: config)
        #expect(record.runs == 3)
        #expect(streamed == record.reliability)
        #expect(streamed.ticks.reduce(0, +) > 1_000 && streamed.cameTrue.reduce(0, +) > 50, "\(streamed)")

        // The daemon's detection stage starts from it.
        let stage = try DetectionStage(config: config, schema: MetricSchema(["x", "y"]),
                                       source: ModelSource(model: ModelCatalog.fresh(config), origin: "fresh"), store: store,
                                       alerts: AlertFanOut([]), history: nil,
                                       logger: Logger(label: "test") { _ in InMemoryLogHandler() })
        #expect(stage.pipeline.reliability.table == streamed)

        // A reload keeps the running table, ticks not yet stored included; at another horizon
        // it reads the stored predictions again.
        var running = stage.pipeline.reliability
        for tick in 0..<40 { running.add(probability: 0.97, label: tick % 4 == 3) }
        #expect(running.table != streamed)
        let schema = MetricSchema(["x", "y"])
        func reloaded(_ config: SurgeConfig) throws -> RunningReliability {
            try DetectionStage(config: config, schema: schema, source: ModelSource(model: ModelCatalog.fresh(config), origin: "fresh"),
                               store: store, alerts: AlertFanOut([]), history: nil, reliability: running,
                               logger: Logger(label: "test") { _ in InMemoryLogHandler() }).pipeline.reliability
        }
        #expect(try reloaded(config) == running)
        var longer = config
        longer.model.horizonTicks = 3
        let rereadTable = try reloaded(longer)
        let storedAtThree = try Reliability.stored(in: path, config: longer)
        #expect(rereadTable.horizon == 3 && rereadTable.table == storedAtThree)
        #expect(rereadTable.table != streamed, "counted at the new horizon")
    }

    /// History kept at 1 m ticks, scored after the config's interval went to 10 s: the stored
    /// ticks' own length measures a stall, so the record is one run, not one per tick.
    @Test func historyAtALongerTickThanTheConfigsIsOneRun() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SurgeStore(path: path)
        let start = 1_700_000_000.0
        for tick in 1...300 {
            let overload = tick % 50 >= 45  // six episodes of five ticks
            store.stage(PredictionRecord(timestamp: start + Double(tick) * 60, tick: tick, probability: overload ? 0.9 : 0.1,
                                         state: overload || tick % 50 == 44 ? "predicted" : "normal", label: overload))
        }
        try store.commit()

        var config = CheckpointTests().config
        config.model.horizonTicks = 1
        config.sampling.interval = .seconds(60)
        let asStored = try HostRecord.stored(in: path, since: nil, config: config)
        config.sampling.interval = .seconds(10)
        let afterTheChange = try HostRecord.stored(in: path, since: nil, config: config)
        #expect(asStored.runs == 1 && afterTheChange.runs == 1)
        #expect(afterTheChange.score == asStored.score)
        #expect(afterTheChange.score.episodes == 6 && afterTheChange.score.caughtEarly == 6, "\(afterTheChange.score)")
        #expect(try Reliability.stored(in: path, config: config) == afterTheChange.reliability)
    }

    /// Stored predictions that cannot be read (a read fault: here the file is gone from under
    /// the open store) cost only the quote in predicted alerts, and the start says so.
    @Test func storedPredictionsThatCannotBeReadAreWarnedOf() throws {
        let directory = NSTemporaryDirectory() + "surgewatch-reliability-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try storeWhoseFileIsGone(in: directory)
        let handler = InMemoryLogHandler()
        let config = CheckpointTests().config
        let stage = try DetectionStage(config: config, schema: MetricSchema(["x", "y"]),
                                       source: ModelSource(model: ModelCatalog.fresh(config), origin: "fresh"), store: store,
                                       alerts: AlertFanOut([]), history: nil, logger: Logger(label: "test") { _ in handler })
        #expect(stage.pipeline.reliability.table == Reliability())
        let said = handler.entries.filter { $0.message.description.hasPrefix("could not read the stored predictions, so alerts will not say how p came true here until new ticks do: ") }
        #expect(said.count == 1 && said.first?.level == .warning, "\(handler.entries.map(\.message.description))")
        #expect(said.first?.message.description.contains("surgewatch.db") == true, "names the file: \(said)")
    }
}
