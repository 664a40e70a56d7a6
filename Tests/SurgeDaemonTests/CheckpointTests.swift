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

    /// The test's database, in a directory of its own (each test removes it), and a logger
    /// whose entries the test reads.
    func openStore() throws -> (store: SurgeStore, log: InMemoryLogHandler, logger: Logger) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let handler = InMemoryLogHandler()
        return (try SurgeStore(path: directory + "/surgewatch.db"), handler, Logger(label: "test") { _ in handler })
    }

    @Test func learnedWeightsAreSavedAndRestored() throws {
        let (store, handler, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fresh = ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model", untrained: true)
        let first = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
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
        // 1,500 ticks of 10 s: a checkpoint every 300 s of the ticks' time, whatever the test's.
        let times = try store.rows("SELECT created_at FROM checkpoints ORDER BY id").compactMap { $0.first?.double }
        #expect(times.count > 10 && times.allSatisfy { (10...15000).contains($0) }, "checkpoints at the ticks' times: \(times)")
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= DetectionStage.checkpointEvery }, "at most one per 5 minutes: \(times)")
        first.checkpoint()
        let atShutdown = try store.rows("SELECT count(*) FROM checkpoints")
        first.checkpoint()
        #expect(try store.rows("SELECT count(*) FROM checkpoints") == atShutdown, "unchanged weights are not saved again")
        let saved = try #require(try store.latestCheckpoint())
        let savedModel = try ModelFile.decode(saved.model)
        #expect(saved.version == 2 && savedModel.tickSeconds == 10,
                "a checkpoint records the tick it learned at: the config's interval")

        let second = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                        history: nil, logger: logger)
        #expect(second.pipeline.model.parameters == learned, "the next start resumes from the checkpoint")
        #expect(first.pipeline.referee == nil && second.pipeline.referee == nil,
                "a fresh model's learned weights serve, after a restart too: the checkpoint is no trained model to weigh them against")
        #expect(!first.pipeline.settings.learning.outputLayerOnly && !second.pipeline.settings.learning.outputLayerOnly,
                "a model that began fresh learns every layer, after a restart from its checkpoint too")
        #expect(second.pipeline.settings.learning.learningRate == first.pipeline.settings.learning.learningRate
                && first.pipeline.settings.learning.learningRate == 1e-3, "and at the rate it began with")
        #expect(second.pipeline.learner?.steps == learner.steps, "the steps its weights had are counted on")
        #expect(handler.entries.contains { $0.message.description.hasPrefix("predicting from the checkpoint of ")
                                           && $0.message.description.contains("(learned on this host from a fresh model, \(learner.steps) learning steps)") })
        // Its p, withheld until the guard first scored the weights, is reported at once: they were.
        let firstFull = (1...config.window.ticks).map { tick in
            second.ingest(Sample(timestamp: 20_000 + Double(tick) * 10, tick: tick, schema: schema, values: [0.1, 0]))
        }.last
        #expect(firstFull?.probability != nil, "p of the first full window after the restart")
        let builtIn = ModelSource(model: ModelCatalog.fresh(config), origin: "a model trained offline")
        let trained = try DetectionStage(config: config, schema: schema, source: builtIn, store: store, alerts: AlertFanOut([]),
                                         history: nil, logger: logger)
        #expect(trained.pipeline.settings.learning.outputLayerOnly, "a model trained offline learns its output layer, from its checkpoint too")
        #expect(trained.pipeline.model.parameters == learned, "learning goes on from the weights learned here")
        #expect(trained.pipeline.servingModel.parameters == builtIn.model.parameters,
                "the trained weights serve: the checkpoint does not say the learned ones did")
        #expect(handler.entries.contains { $0.message.description.contains("with the weights learned on this host until ")
                                           && $0.message.description.contains("(the trained ones serve)") })
        var everyLayer = config
        everyLayer.learning.layers = .all
        let asked = try DetectionStage(config: everyLayer, schema: schema, source: builtIn, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(!asked.pipeline.settings.learning.outputLayerOnly, "layers = \"all\": a model trained offline learns every layer")
        #expect(handler.entries.contains { $0.message.description.hasPrefix("predicting from the checkpoint of ") })

        var other = config
        other.model.hidden = 5
        let third = try DetectionStage(config: other, schema: schema, source: ModelSource(model: ModelCatalog.fresh(other), origin: "fresh"),
                                       store: store, alerts: AlertFanOut([]), history: nil, logger: logger)
        #expect(third.pipeline.model.shape.hidden == 5, "a checkpoint that does not fit the config is not used")
        #expect(handler.entries.contains { $0.message.description.contains("the last checkpoint does not fit this config") })
    }

    /// A damaged checkpoint (its bytes cut short, as a disk fault might leave them) is passed
    /// over with an error in the log: the stage starts from the model it was given and ticks,
    /// and the row stays in the database for a look.
    @Test func aDamagedCheckpointIsPassedOverAndSaid() throws {
        let (store, handler, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fresh = ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model", untrained: true)
        let whole = fresh.model.encoded()
        try store.saveCheckpoint(version: Int(ModelFile.version), model: Array(whole.prefix(whole.count / 2)), metricsJSON: "{}", at: 100)
        let stage = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(stage.pipeline.model.parameters == fresh.model.parameters)
        let said = handler.entries.filter { $0.message.description.hasPrefix("the last checkpoint (saved 1970-01-01T00:01:40Z) is unusable, not used: ") }
        #expect(said.count == 1 && said.first?.level == .error, "\(handler.entries.map(\.message.description))")
        #expect(!handler.entries.contains { $0.message.description.hasPrefix("resuming from the checkpoint") })
        for tick in 1...6 {
            _ = stage.ingest(Sample(timestamp: 100 + Double(tick) * 10, tick: tick, schema: schema, values: [0.1, 0]))
        }
        #expect(stage.pipeline.window.count == 5, "it ticks")
        #expect(try store.rows("SELECT count(*) FROM checkpoints") == [[.integer(1)]])
    }

    /// The test's database holding one checkpoint, saved at 100 s, of weights other than a
    /// fresh model's (each 0.25 more), with that fresh model.
    func storeWithALearnedCheckpoint() throws -> (store: SurgeStore, log: InMemoryLogHandler, logger: Logger,
                                                  fresh: ModelSource, learned: ModelFile) {
        let (store, handler, logger) = try openStore()
        let fresh = ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model", untrained: true)
        var learned = fresh.model
        learned.parameters.values = learned.parameters.values.map { $0 + 0.25 }
        try store.saveCheckpoint(version: Int(ModelFile.version), model: learned.encoded(), metricsJSON: "{}", at: 100)
        return (store, handler, logger, fresh, learned)
    }

    /// A checkpoints table that cannot be read at all (here a column another program renamed)
    /// is said as an error, and the start goes on from the model as if none were stored.
    @Test func anUnreadableCheckpointsTableIsSaidAndTheStartGoesOn() throws {
        let (store, handler, logger, fresh, _) = try storeWithALearnedCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SQLiteDatabase(path: store.path).execute("ALTER TABLE checkpoints RENAME COLUMN metrics TO renamed")
        let stage = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(stage.pipeline.model.parameters == fresh.model.parameters, "the model's own weights serve")
        let said = handler.entries.filter { $0.message.description.hasPrefix("the stored checkpoints cannot be read, none resumed: ") }
        #expect(said.count == 1 && said.first?.level == .error, "\(handler.entries.map(\.message.description))")
        #expect(said.first?.message.description.contains("metrics") == true, "the error names what failed")
        for tick in 1...6 {
            _ = stage.ingest(Sample(timestamp: 100 + Double(tick) * 10, tick: tick, schema: schema, values: [0.1, 0]))
        }
        #expect(stage.pipeline.window.count == 5, "it ticks")
    }

    /// A damaged newest checkpoint does not cost all the learning before it: the one saved
    /// before it serves, and the log says which and why.
    @Test func aDamagedNewestCheckpointGivesWayToTheOneBeforeIt() throws {
        let (store, handler, logger, fresh, learned) = try storeWithALearnedCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var newer = learned.encoded()
        newer[newer.count / 2] ^= 0xFF  // one byte changed: the checksum no longer matches
        try store.saveCheckpoint(version: Int(ModelFile.version), model: newer, metricsJSON: "{}", at: 400)
        let stage = try DetectionStage(config: config, schema: schema, source: fresh, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(stage.pipeline.model.parameters == learned.parameters, "the older checkpoint's weights serve")
        let messages = handler.entries.map(\.message.description)
        #expect(messages.contains { $0.hasPrefix("the last checkpoint (saved 1970-01-01T00:06:40Z) is unusable, not used: ") && $0.contains("checksum mismatch") },
                "\(messages)")
        #expect(messages.contains("resuming from the checkpoint saved 1970-01-01T00:01:40Z instead, the newest that can be read"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("predicting from the checkpoint of ") }, "\(messages)")
    }

    /// A model used at another tick than it learned at still serves, and the log says once, as
    /// a warning, what its horizon and window mean here.
    @Test func aModelOfAnotherTickIsWarnedOf() throws {
        let (store, handler, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var fiveSeconds = config
        fiveSeconds.sampling.interval = .seconds(5)
        let tenSecondModel = ModelSource(model: ModelCatalog.fresh(config), origin: "a model trained offline")
        func warnings() -> [String] {
            handler.entries.filter { $0.level == .warning && $0.message.description.hasPrefix("the model was trained on ticks of ") }
                .map(\.message.description)
        }
        _ = try DetectionStage(config: config, schema: schema, source: tenSecondModel, store: store, alerts: AlertFanOut([]),
                               history: nil, logger: logger)
        #expect(warnings().isEmpty)
        let stage = try DetectionStage(config: fiveSeconds, schema: schema, source: tenSecondModel, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(stage.pipeline.model.parameters == tenSecondModel.model.parameters)
        #expect(warnings() == ["the model was trained on ticks of 10s, sampling.interval is 5s: its horizon of 1 tick looks 5s ahead here, not 10s, and its window of 5 ticks spans 25s, not 50s; it still serves (BENCHMARKS.md, session 23), and one trained on traces at this tick (surgewatch train) keeps the 10s horizon"])
    }

    /// A trained model's checkpoint says which weights served, and the next start serves them
    /// again rather than waiting days for the record to rebuild.
    @Test func theServingWeightsComeBackWithTheCheckpoint() throws {
        let (store, handler, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trained = ModelSource(model: ModelCatalog.fresh(config), origin: "a model trained offline")
        var learnedHere = ModelCatalog.fresh(config)
        learnedHere.parameters.values[0] += 0.5
        try store.saveCheckpoint(version: Int(ModelFile.version), model: learnedHere.encoded(),
                                 metricsJSON: "{\"steps\":40,\"rollbacks\":0,\"loss\":0.3,\"serving\":\"learned\"}", at: 1000)
        var learnSoon = config
        learnSoon.learning.minimumWindowsPerClass = 8
        let stage = try DetectionStage(config: learnSoon, schema: schema, source: trained, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(stage.pipeline.servingModel.parameters == learnedHere.parameters)
        #expect(stage.pipeline.referee?.serving == .learned)
        #expect(handler.entries.contains { $0.message.description.contains("(the learned ones serve)") })
        // It saves the choice with the checkpoints it makes (350 ticks: before the referee's
        // first verdict, at 360).
        for tick in 1...350 {
            _ = stage.ingest(Sample(timestamp: 2000 + Double(tick) * 10, tick: tick, schema: schema,
                                    values: [Double(tick % 20) / 10, (17..<20).contains(tick % 20) ? 1 : 0]))
            stage.pipeline.learner?.finishRunningStep()
        }
        stage.checkpoint()
        let saved = try store.rows("SELECT metrics FROM checkpoints WHERE created_at > 1000").compactMap {
            if case .text(let text) = $0.first { text } else { nil }
        }
        #expect((stage.pipeline.learner?.steps ?? 0) > 10)
        #expect(!saved.isEmpty && saved.allSatisfy { $0.contains("\"serving\":\"learned\"") }, "\(saved)")
        let trainedHex = String(trained.model.weightsChecksum, radix: 16)
        #expect(saved.allSatisfy { StoredReferee.trainedWeights(checkpointMetrics: $0) == trainedHex }, "what learning started from: \(saved)")

        // Other trained weights (a new model file, or an upgrade's built-in model) of the same
        // sizes: the weights learned from the old ones must not serve in their place.
        let retrained = ModelSource(model: ModelCatalog.fresh(config, seed: 2), origin: "a new model file")
        let after = try DetectionStage(config: learnSoon, schema: schema, source: retrained, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(after.pipeline.servingModel.parameters == retrained.model.parameters)
        #expect(after.pipeline.model.parameters == retrained.model.parameters, "learning starts anew from the new weights")
        #expect(after.pipeline.referee?.serving == .trained)
        let otherHex = String(retrained.model.weightsChecksum, radix: 16)
        #expect(handler.entries.contains { $0.message.description == "the last checkpoint learned from other trained weights (crc32 \(trainedHex), these are crc32 \(otherHex)); not used: learning starts anew from these" })
        // Calm ticks (nothing to learn from yet) past the checkpoint time: the new weights' own
        // checkpoint replaces the old one as the newest, which `alerts --record` reads.
        for tick in 1...40 {
            _ = after.ingest(Sample(timestamp: 9000 + Double(tick) * 10, tick: tick, schema: schema, values: [0.1, 0]))
        }
        #expect(after.pipeline.learner?.steps == 0)
        let newest = try #require(try store.latestCheckpoint())
        #expect(newest.createdAt > 9000 && StoredReferee.trainedWeights(checkpointMetrics: newest.metricsJSON) == otherHex
                && !StoredReferee.learnedServe(checkpointMetrics: newest.metricsJSON), "\(newest.metricsJSON)")
        // Back to the first weights: the newest checkpoint is the other weights', so learning
        // starts anew from these too.
        let again = try DetectionStage(config: learnSoon, schema: schema, source: trained, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        #expect(again.pipeline.referee?.serving == .trained && again.pipeline.model.parameters == trained.model.parameters)
    }

    @Test func checkpointMetricsSayWhatLearningStartedFrom() {
        #expect(StoredReferee.trainedWeights(checkpointMetrics: "{\"steps\":4,\"trained\":\"37b395f0\"}") == "37b395f0")
        #expect(StoredReferee.trainedWeights(checkpointMetrics: "{\"steps\":4,\"trained\":\"none\"}") == "none")
        for older in ["{\"steps\":4,\"serving\":\"learned\"}", "{}", "{\"trained\":\"", "{\"trained\":\"\"}", "{\"trained\":\"abc"] {
            #expect(StoredReferee.trainedWeights(checkpointMetrics: older) == nil, "\(older)")
        }
    }

    /// The referee's record is saved every hour of ticks and at shutdown, and the next start
    /// resumes it, unless it was kept under another alert policy or cannot be read.
    @Test func theRefereesRecordComesBackAfterARestart() throws {
        let (store, handler, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trained = ModelSource(model: ModelCatalog.fresh(config), origin: "a model trained offline")
        var learnSoon = config
        learnSoon.learning.minimumWindowsPerClass = 8
        func start(_ config: SurgeConfig) throws -> DetectionStage {
            try DetectionStage(config: config, schema: schema, source: trained, store: store, alerts: AlertFanOut([]),
                               history: nil, logger: logger)
        }
        func recordTicks() throws -> Int64? { try store.rows("SELECT ticks FROM referee_record").first?.first?.integer }
        func logged(_ text: String) -> Bool { handler.entries.contains { $0.message.description.contains(text) } }

        let first = try start(learnSoon)
        for tick in 1...400 {
            _ = first.ingest(Sample(timestamp: 2000 + Double(tick) * 10, tick: tick, schema: schema,
                                    values: [Double(tick % 20) / 10, (17..<20).contains(tick % 20) ? 1 : 0]))
            first.pipeline.learner?.finishRunningStep()
        }
        let referee = try #require(first.pipeline.referee)
        // Every tick is recorded (unknown p is no alert), saved at the 360th.
        #expect(referee.recordCount == 400)
        #expect(try recordTicks() == 360)
        first.saveState()
        #expect(try recordTicks() == 400)
        #expect(referee.scores().trained.episodes > 10, "the record holds overloads: \(referee.scores())")

        let second = try start(learnSoon)
        #expect(second.pipeline.referee?.recordCount == 400)
        let resumed = try #require(second.pipeline.referee)
        #expect(resumed.scores() == referee.scores())
        #expect(logged("the referee's record resumes with 400 ticks up to "))

        // Announced sales change which alerts the record's weights would have raised; none
        // announced leaves the context as it was.
        let model = ModelCatalog.fresh(learnSoon, seed: 1)
        var announcing = learnSoon
        #expect(DetectionStage.refereeContext(trained: model, config: announcing) == DetectionStage.refereeContext(trained: model, config: learnSoon))
        announcing.schedule.sales = [.daily(hour: 20, minute: 0, utcOffsetSeconds: nil)]
        #expect(DetectionStage.refereeContext(trained: model, config: announcing) != DetectionStage.refereeContext(trained: model, config: learnSoon))

        var stricter = learnSoon
        stricter.alert.fireProbability = 0.9  // not the default's (0.95)
        let third = try start(stricter)
        #expect(third.pipeline.referee?.recordCount == 0)
        #expect(logged("was kept under other trained weights, SLO rule or alert policy; it starts anew"))

        // Other trained weights (a new model file, an upgrade's built-in model): the record
        // scored alerts these would not have raised. Same sizes, so the checkpoint still fits.
        let retrained = ModelSource(model: ModelCatalog.fresh(config, seed: 2), origin: "another model trained offline")
        let other = try DetectionStage(config: learnSoon, schema: schema, source: retrained, store: store,
                                       alerts: AlertFanOut([]), history: nil, logger: logger)
        #expect(other.pipeline.referee != nil && other.pipeline.referee?.recordCount == 0)

        _ = try store.rows("UPDATE referee_record SET record = x'00'")
        let fourth = try start(learnSoon)
        #expect(fourth.pipeline.referee?.recordCount == 0)
        #expect(logged("the referee's record is unusable, it starts anew: referee record: not a referee record (no SWRR header)"))
        _ = fourth.ingest(Sample(timestamp: 9000, tick: 1, schema: schema, values: [0, 0]))
    }

    /// Writes that fail for long (a full disk; here SQLite refusing every write on the store's
    /// connection) are tried again at the next interval, not at every tick, and succeed after.
    @Test func failedSavesAreTriedAgainAtTheirIntervalNotEveryTick() throws {
        let (store, handler, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trained = ModelSource(model: ModelCatalog.fresh(config), origin: "a model trained offline")
        var learnSoon = config
        learnSoon.learning.minimumWindowsPerClass = 8
        let stage = try DetectionStage(config: learnSoon, schema: schema, source: trained, store: store, alerts: AlertFanOut([]),
                                       history: nil, logger: logger)
        func run(_ ticks: ClosedRange<Int>) {
            for tick in ticks {
                _ = stage.ingest(Sample(timestamp: Double(tick) * 10, tick: tick, schema: schema,
                                        values: [Double(tick % 20) / 10, (17..<20).contains(tick % 20) ? 1 : 0]))
                stage.pipeline.learner?.finishRunningStep()
            }
        }
        func logged(_ text: String) -> Int { handler.entries.filter { $0.message.description.contains(text) }.count }
        func count(_ table: String) throws -> Int64? { try store.rows("SELECT count(*) FROM \(table)").first?.first?.integer }
        run(1...400)
        let checkpoints = try #require(try count("checkpoints"))
        let records = try count("referee_record")
        #expect(checkpoints > 5 && records == 1)

        _ = try store.rows("PRAGMA query_only = 1")
        run(401...1000)  // 6,000 s: 20 checkpoint intervals; the referee saved at 360, tries at 720
        let failedCheckpoints = logged("checkpoint not saved, next try in 5m or at shutdown: ")
        #expect((19...21).contains(failedCheckpoints), "one try per 5 minutes, not one per tick: \(failedCheckpoints)")
        #expect(logged("the referee's record was not saved, next try in 360 ticks or at shutdown: ") == 1)
        #expect(try count("checkpoints") == checkpoints)

        _ = try store.rows("PRAGMA query_only = 0")
        run(1001...1040)
        let after = try #require(try count("checkpoints"))
        #expect(after > checkpoints, "saved at the next interval once writes work")
        stage.saveState()
        #expect(try store.rows("SELECT ticks FROM referee_record") == [[.integer(1040)]], "the record's unsaved ticks are kept at shutdown")
    }

    @Test func aReloadKeepsTheOpenAlertSoItsResolvedEventComes() throws {
        let (store, _, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sink = InMemoryAlertSink()
        // A fresh model's p sits anywhere near 0.5, so the alert may resolve below 0.9: its end
        // then depends on the rule alone, as this test means.
        var config = self.config
        config.alert.fireProbability = 0.95
        config.alert.fireAtOnceProbability = 1
        config.alert.resolveProbability = 0.9
        let source = ModelSource(model: ModelCatalog.fresh(config), origin: "fresh")
        let before = try DetectionStage(config: config, schema: schema, source: source, store: store, alerts: AlertFanOut([sink]),
                                        history: nil, logger: logger)
        for tick in 1...3 { _ = before.ingest(Sample(timestamp: Double(tick), tick: tick, schema: schema, values: [0, 1])) }
        let open = try #require(before.pipeline.alerts.open, "the rule holds: breached")
        let after = try DetectionStage(config: config, schema: schema, source: source, store: store, alerts: AlertFanOut([sink]),
                                       history: before.pipeline.window, openAlert: open, logger: logger)
        #expect(after.pipeline.window.count == 3, "the history is kept")
        for tick in 4...20 { _ = after.ingest(Sample(timestamp: Double(tick), tick: tick, schema: schema, values: [0, 0])) }
        #expect(sink.events.map(\.event) == [.fired, .resolved])
        #expect(Set(sink.events.map(\.alertID)) == [open.id], "one alert across the reload")
    }

    @Test func storedAlertsTakeTheTimeOfTheTickThatCausedThem() throws {
        let (store, _, logger) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = self.config
        config.alert.fireProbability = 0.95
        config.alert.fireAtOnceProbability = 1
        config.alert.resolveProbability = 0.9
        let stage = try DetectionStage(config: config, schema: schema, source: ModelSource(model: ModelCatalog.fresh(config), origin: "fresh"),
                                       store: store, alerts: AlertFanOut([SQLiteAlertSink(store: store)]), history: nil, logger: logger)
        // Tick times a wall clock would never give this test's run (the year 2001): the events
        // must carry them, not the time the test ran.
        let ticks = (1...12).map { tick in (at: 1_000_000_000 + Double(tick) * 10.25, broken: (4...6).contains(tick)) }
        for (index, tick) in ticks.enumerated() {
            let sample = Sample(timestamp: tick.at, tick: index + 1, schema: schema, values: [0, tick.broken ? 1 : 0])
            store.stage(sample)
            _ = stage.ingest(sample)
            try store.commit()
        }
        let alert = try store.rows("SELECT fired_at, resolved_at FROM alerts")
        #expect(alert == [[.real(ticks[3].at), .real(ticks[8].at)]], "fired at the first broken tick, resolved on the third calm tick after the last")
        let stored = try store.rows("SELECT ts FROM predictions WHERE tick IN (4, 9) ORDER BY tick")
        #expect(stored == [[.real(ticks[3].at)], [.real(ticks[8].at)]], "the same times as the ticks' prediction rows")
    }
}
