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

/// A model that reads counts against the host's level (`HostLevels`) gets that level back at a
/// start from the ticks stored in a real SQLite file: the level a run that never stopped has.
@Suite struct StoredHostLevelsTests {
    let directory = NSTemporaryDirectory() + "surgewatch-levels-\(UUID().uuidString.prefix(8))"
    let schema = MetricSchema(["connections", "y"])
    let base = 1_700_000_000.0

    var config: SurgeConfig {
        var config = storedTicksConfig(feature: "connections")
        config.learning.online = false
        return config
    }

    /// A trained model (not a fresh one) that reads `connections` against the host's level.
    var source: ModelSource {
        var model = ModelCatalog.fresh(config)
        model.features[0].transform = .log1pRelative
        return ModelSource(model: model, origin: "a model reading levels")
    }

    func stage(_ store: SurgeStore, history: SampleWindow? = nil, logger: Logger) throws -> DetectionStage {
        try DetectionStage(config: config, schema: schema, source: source, store: store, alerts: AlertFanOut([]),
                           history: history, logger: logger)
    }

    func connections(_ tick: Int) -> Double { 300 + 200 * sin(Double(tick) / 50) + 0.123456789 }

    /// Stored ticks that cannot be read (here the file gone from under the open store) are a
    /// fault the start warns of; a first start with nothing stored only says so (info, above).
    @Test func storedTicksThatCannotBeReadAreWarnedOf() throws {
        let store = try storeWhoseFileIsGone(in: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handler = InMemoryLogHandler()
        _ = try stage(store, logger: Logger(label: "test") { _ in handler })
        let said = handler.entries.filter { $0.message.description.hasPrefix("the host's usual levels start again at this tick: the stored ticks cannot be read (") }
        #expect(said.count == 1 && said.first?.level == .warning, "\(handler.entries.map(\.message.description))")
    }

    @Test func aStartTakesTheLevelsOfTheStoredTicks() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let store = try SurgeStore(path: directory + "/surgewatch.db")
        let live = try stage(store, logger: logger)
        #expect(handler.entries.contains { $0.message.description == "the host's usual levels start at this tick: no tick stored before it" })
        var window = SampleWindow(schema: schema, capacity: config.window.ticks)
        for tick in 1...2_000 {
            let sample = Sample(timestamp: base + Double(tick) * 10, tick: tick, schema: schema, values: [connections(tick), 0])
            _ = live.ingest(sample)
            window.append(sample)
            store.stage(sample)
            try store.commit()
        }
        let held = try #require(live.pipeline.inputs.levels)

        // A start that does not resume the window reads every stored tick into the levels.
        let started = try stage(store, logger: logger)
        #expect(started.pipeline.inputs.levels == held, "the levels of the run that never stopped")
        #expect(handler.entries.contains { $0.message.description == "the host's usual levels taken from 2000 stored ticks" })
        // One that resumes it reads the ticks before the window, then the window's own.
        let resumed = try stage(store, history: window, logger: logger)
        #expect(resumed.pipeline.inputs.levels == held)
        #expect(handler.entries.contains { $0.message.description == "the host's usual levels taken from 1994 stored ticks, then the resumed window's" })
        // A longer window (a reload that shortened window.ticks) is re-read only as far as the
        // new length: the ticks before that come from the store.
        var longer = SampleWindow(schema: schema, capacity: 3_000)
        for tick in 1...2_000 { longer.append(Sample(timestamp: base + Double(tick) * 10, tick: tick, schema: schema, values: [connections(tick), 0])) }
        let shortened = try stage(store, history: longer, logger: logger)
        #expect(shortened.pipeline.inputs.levels == held)
        // With nothing stored before the window, its ticks alone make the levels.
        let empty = try SurgeStore(path: directory + "/empty.db")
        _ = try stage(empty, history: window, logger: logger)
        #expect(handler.entries.contains { $0.message.description == "the host's usual levels start with the resumed window: no tick stored before it" })

        // Without them a start would read the same connections against a level of its own.
        var fresh = HostLevels(started.pipeline.scaler)
        fresh.observe([connections(2_000)])
        #expect(fresh != held)
    }
}
