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

/// Online learning's weights reach SQLite and come back at the next start.
@Suite struct CheckpointTests {
    let directory = NSTemporaryDirectory() + "surgewatch-checkpoint-\(UUID().uuidString.prefix(8))"
    let schema = MetricSchema(["x", "y"])

    var config: SurgeConfig {
        var config = SurgeConfig()
        config.model.features = ["x"]
        config.model.hidden = 4
        config.model.layers = 1
        config.model.horizonTicks = 1
        config.window.ticks = 5
        config.overload.any = [try! OverloadCondition.parse("y > 0.5").get()]
        config.overload.all = []
        return config
    }

    @Test func learnedWeightsAreSavedAndRestored() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SurgeStore(path: directory + "/surgewatch.db")
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let fresh = ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model")
        let first = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                       clock: SystemAlertClock(), history: nil, logger: logger)
        // x climbs before y, the rule's metric, says overload: 3 overload ticks in every 20.
        for tick in 1...1500 {
            let phase = tick % 20
            _ = first.ingest(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema,
                                    values: [Double(phase) / 10, (17..<20).contains(phase) ? 1 : 0]))
            // Ticks 10 s apart: each learning step, which runs beside the ticks, is long done by the next.
            first.pipeline.learner?.finishRunningStep()
        }
        let learner = try #require(first.pipeline.learner)
        #expect(learner.steps > 10, "online learning ran (\(learner.steps) steps)")
        let learned = first.pipeline.model.parameters
        #expect(learned != fresh.model.parameters)
        first.checkpoint()
        try store.commit()
        #expect(try store.rows("SELECT count(*) FROM checkpoints") == [[.integer(1)]])
        first.checkpoint()
        #expect(try store.rows("SELECT count(*) FROM checkpoints") == [[.integer(1)]], "unchanged weights are not saved again")

        let second = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                        clock: SystemAlertClock(), history: nil, logger: logger)
        #expect(second.pipeline.model.parameters == learned, "the next start resumes from the checkpoint")
        #expect(handler.entries.contains { $0.message.description.hasPrefix("predicting from the checkpoint of ") })

        var other = config
        other.model.hidden = 5
        let third = try DetectionStage(config: other, schema: schema, source: ModelSource(model: ModelCatalog.fresh(other), origin: "fresh"),
                                       store: store, alerts: AlertFanOut([]), clock: SystemAlertClock(), history: nil, logger: logger)
        #expect(third.pipeline.model.shape.hidden == 5, "a checkpoint that does not fit the config is not used")
        #expect(handler.entries.contains { $0.message.description.contains("the last checkpoint does not fit this config") })
    }

    @Test func aReloadKeepsTheOpenAlertSoItsResolvedEventComes() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SurgeStore(path: directory + "/surgewatch.db")
        let sink = InMemoryAlertSink()
        let logger = Logger(label: "test") { _ in InMemoryLogHandler() }
        // A fresh model's p sits anywhere near 0.5, so the alert may resolve below 0.9: its end
        // then depends on the rule alone, as this test means.
        var config = self.config
        config.alert.fireProbability = 0.95
        config.alert.fireAtOnceProbability = 1
        config.alert.resolveProbability = 0.9
        let source = ModelSource(model: ModelCatalog.fresh(config), origin: "fresh")
        let before = try DetectionStage(config: config, schema: schema, source: source, store: store, alerts: AlertFanOut([sink]),
                                        clock: SystemAlertClock(), history: nil, logger: logger)
        for tick in 1...3 { _ = before.ingest(Sample(timestamp: Double(tick), tick: tick, schema: schema, values: [0, 1])) }
        let open = try #require(before.pipeline.alerts.open, "the rule holds: breached")
        let after = try DetectionStage(config: config, schema: schema, source: source, store: store, alerts: AlertFanOut([sink]),
                                       clock: SystemAlertClock(), history: before.pipeline.window, openAlert: open, logger: logger)
        #expect(after.pipeline.window.count == 3, "the history is kept")
        for tick in 4...20 { _ = after.ingest(Sample(timestamp: Double(tick), tick: tick, schema: schema, values: [0, 0])) }
        #expect(sink.events.map(\.event) == [.fired, .resolved])
        #expect(Set(sink.events.map(\.alertID)) == [open.id], "one alert across the reload")
    }
}
