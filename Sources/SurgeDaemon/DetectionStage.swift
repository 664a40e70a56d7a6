import Glibc
import Logging
import SurgeConfig
import SurgeDetection
import SurgeModel
import SurgeSampling
import SurgeStore

/// The daemon's side of the detection pipeline: which model it starts from (a checkpoint of
/// this host, else `ModelSource`), delivering alert events, staging predictions, logging what
/// online learning decided, and checkpointing the weights to SQLite every few minutes and at
/// shutdown.
///
/// Alert events take the time of the tick that caused them, the sample's timestamp, which is
/// also the `ts` of that tick's `predictions` row: an event and its tick cannot disagree, even
/// when the ticks stall or the wall clock is slewed between them (a run under load once stored
/// an alert as fired 0.3 s before the tick that fired it, when events read a clock of their own).
final class DetectionStage {
    private(set) var pipeline: DetectionPipeline<TraceClock>
    let config: SurgeConfig
    private let store: SurgeStore
    private let alerts: AlertFanOut
    private let logger: Logger
    private let clock = TraceClock()
    /// Checkpoints at most this often (and at shutdown) while learning.
    static let checkpointEvery = 300.0
    /// Tick time of the last checkpoint (of the first tick, before any).
    private var lastCheckpoint: Double?
    private var stepsAtCheckpoint = 0
    /// The serving weights the last checkpoint recorded (a change is saved even without new steps).
    private var servingAtCheckpoint: WeightsReferee.Choice?
    /// What the referee's record is kept under (`refereeContext`), when there is a referee.
    private let refereeContext: String?
    /// The referee's observed ticks when its record was last saved, and when a save was last
    /// tried: a save that failed (disk full) is tried again a check period later, not each tick.
    private var observedAtRecordSave = 0
    private var observedAtRecordTry = 0
    /// Set when a step first fell due while another ran: how many steps had finished then. The
    /// notice waits for that slow step to finish, so that it can say what the step cost.
    private var learningBehindAfterSteps: Int?
    private var reportedLearningBehind = false
    /// Every feature missing past the carry-forward last tick, with the window full (said once
    /// each way).
    var blind = false
    /// Set when `surgewatch forget` deleted the checkpoints these weights grew from and no
    /// pipeline could be built in their place: saving them would bring the span back.
    var savesNoCheckpoint = false
    /// What the weights learned here started from, as checkpoints record it: the trained
    /// model's ModelFile.weightsChecksum in hex, or "none" for a fresh model.
    private let trainedWeights: String

    /// `tickInterval`: how far apart the ticks are taken, when not `sampling.interval` (`run
    /// --tick-interval`), for the stored ticks' runs.
    init(config: SurgeConfig, schema: MetricSchema, source: ModelSource, store: SurgeStore, alerts: AlertFanOut,
         history: SampleWindow?, openAlert: AlertStateMachine<TraceClock>.OpenAlert? = nil,
         reliability carried: RunningReliability? = nil, tickInterval: Duration? = nil, logger: Logger) throws {
        self.config = config
        self.store = store
        self.alerts = alerts
        self.logger = logger
        var model = source.model
        var origin = source.origin
        var learned: LSTMParameters?
        var serving = WeightsReferee.Choice.trained
        trainedWeights = source.untrained ? "none" : String(source.model.weightsChecksum, radix: 16)
        var passedOver = false
        var resumedSteps = 0
        if config.learning.online,
           let checkpoint = Self.latestFittingCheckpoint(store: store, config: config, trainedWeights: source.untrained ? nil : trainedWeights,
                                                         passedOver: &passedOver, logger: logger) {
            let saved = TickLine.rfc3339(checkpoint.createdAt)
            resumedSteps = checkpoint.steps
            if source.untrained {
                // A fresh model's checkpoint is all it has learned: it becomes the model, and
                // learning goes on as it began (every layer, the fresh rate, no referee), so that
                // a restart does not change how the host learns: the weights of the moment it
                // stopped are no trained model to weigh further learning against, and a start
                // that took them as one learned 33 times slower from then on (BENCHMARKS.md,
                // "Session 24"). Its p is withheld, as at first, until the guard has scored the
                // weights once, counting the steps they had before.
                model = checkpoint.model
                origin = "the checkpoint of \(saved) (learned on this host from a fresh model, \(checkpoint.steps) learning steps)"
            } else {
                // A trained model stays what the learned weights are weighed against.
                learned = checkpoint.model.parameters
                serving = checkpoint.serving
                origin += ", with the weights learned on this host until \(saved) (the \(serving.rawValue) ones serve)"
            }
        }
        // A trained model that passed over the newest checkpoint saves its own at the first
        // checkpoint time, learned steps or not: the newest checkpoint is what `alerts --record`
        // reads as the serving weights, and it would name the old one's for as long as learning
        // waits for an overload. (Not a fresh model: its untouched weights would be resumed as
        // learned ones, and their noise reported.)
        if passedOver && !source.untrained { stepsAtCheckpoint = -1 }
        var settings = DetectionPipeline<TraceClock>.Settings(config: config, untrained: source.untrained)
        // The output layer alone learns on a model trained offline (built-in, a model file),
        // unless the config asks for every layer; one that began fresh here learns every layer,
        // from its checkpoint too, so a restart does not freeze LSTM layers that online
        // learning had only begun to shape.
        settings.learning.outputLayerOnly = LearningPolicy.outputLayerOnly(trainedOffline: !source.untrained, config.learning)
        // Learning steps run beside the ticks, which never wait for one.
        settings.learningExecution = .background
        // A reload keeps the alert that is open, so its resolved event still comes, and how p
        // came true, which counts the ticks not yet written too; at another horizon the stored
        // predictions are read again, since each tick's target spans the horizon.
        let reliability = carried.flatMap { $0.horizon == config.model.horizonTicks ? $0 : nil }
            ?? RunningReliability(horizon: config.model.horizonTicks, table: Self.storedReliability(store: store, config: config, logger: logger))
        // A model that reads counts against the host's level takes that level from the stored
        // ticks before those the pipeline re-reads: the newest window.ticks of `history`.
        let reread = history.flatMap { $0.count > 0 ? $0.timestamp(row: max(0, $0.count - config.window.ticks)) : nil }
        let stored = store.unavailable == nil
            ? StoredHostLevels.read(store: store.path, model: model, before: reread)
            : (levels: nil, message: nil, unreadable: false)
        if let message = stored.message { logger.log(level: stored.unreadable ? .warning : .info, "\(message)") }
        pipeline = try DetectionPipeline(settings: settings, schema: schema, model: model, clock: clock, restoring: openAlert,
                                         history: history, levels: stored.levels, reliability: reliability, learned: learned, serving: serving)
        pipeline.learner?.countSteps(from: resumedSteps)
        if !passedOver { stepsAtCheckpoint = resumedSteps }
        servingAtCheckpoint = pipeline.referee?.serving
        refereeContext = pipeline.referee.map { _ in Self.refereeContext(trained: model, config: config) }
        logger.notice("predicting from \(origin); online learning \(settings.onlineLearningText), horizon \(config.model.horizonTicks) ticks")
        if let unread = source.configuredFileUnread { logger.warning("\(ModelSource.unreadText(unread, instead: source.origin))") }
        if let caution = source.ruleCaution(config) { logger.notice("\(caution)") }
        for caution in config.conditionCautions { logger.warning("\(caution)") }
        // The clock is set at each tick; none has run yet, so the wall clock says when "next" is.
        if let sales = config.schedule.summary(now: Double(time(nil))) { logger.notice("\(sales)") }
        if let caution = ModelCatalog.tickCaution(model, tickSeconds: settings.tickSeconds, here: "sampling.interval is") {
            logger.warning("\(caution)")
        }
        // A database not open yet was said at start; its ticks are recalled at the next one.
        if store.unavailable == nil,
           let recalled = StoredTicksRecall.run(pipeline: pipeline, store: store.path, intervalSeconds: tickInterval?.seconds ?? settings.tickSeconds) {
            logger.log(level: recalled.unreadable ? .warning : recalled.ticks > 0 ? .notice : .info, "\(recalled.message)")
        }
        // The record goes with the learned weights it scored: without them it is not used.
        if learned != nil { restoreRefereeRecord() }
        let unread = config.netlinkMetricsLeftMissing
        if !unread.isEmpty {
            logger.warning("\(unread.joined(separator: ", ")) will stay missing: read over netlink only when sampling.proc_root is /proc, not \(config.sampling.procRoot)")
        }
        if config.learning.online {
            let memory = LearningMemory(config: config)
            if memory.totalBytes > LearningMemory.shippedUnitBudget {
                logger.warning("online learning holds \(memory.description), more than the shipped unit's MemoryMax=128M leaves it")
            } else {
                logger.info("online learning holds \(memory.description)")
            }
        }
    }

    /// How the stored predictions came true, for predicted alerts to quote; empty (and said)
    /// when the database cannot be read, which costs only that.
    static func storedReliability(store: SurgeStore, config: SurgeConfig, logger: Logger) -> Reliability {
        // A database not open yet was said at start; there is nothing stored to read.
        guard store.unavailable == nil else { return Reliability() }
        do {
            return try Reliability.stored(in: store.path, config: config)
        } catch {
            logger.warning("could not read the stored predictions, so alerts will not say how p came true here until new ticks do: \(error)")
            return Reliability()
        }
    }

    /// The newest checkpoint when it fits `config` and, for a trained model (`trainedWeights`,
    /// nil for a fresh one, which takes any), was not learned from other trained weights: those
    /// (before a new model file or an upgrade's built-in model) would serve in the new ones'
    /// place, and output-layer learning would keep the old LSTM layers for good.
    /// `passedOver` is set when there was a checkpoint and it is not used.
    static func latestFittingCheckpoint(store: SurgeStore, config: SurgeConfig, trainedWeights: String?, passedOver: inout Bool,
                                        logger: Logger) -> (model: ModelFile, createdAt: Double, serving: WeightsReferee.Choice, steps: Int)? {
        do {
            guard let newest = try store.checkpoint(before: nil) else { return nil }
            passedOver = true
            // A checkpoint that cannot be decoded (bytes a disk fault changed) is said, and the
            // one saved before it serves: a few minutes' learning lost, not all of it.
            var stored = newest
            var model: ModelFile
            while true {
                do {
                    model = try ModelFile.decode(stored.model)
                    break
                } catch {
                    logger.error("\(stored.id == newest.id ? "the last checkpoint" : "an earlier checkpoint") (saved \(TickLine.rfc3339(stored.createdAt))) is unusable, not used: \(error)")
                    guard let older = try store.checkpoint(before: stored.id) else { return nil }
                    stored = older
                }
            }
            if stored.id != newest.id {
                logger.notice("resuming from the checkpoint saved \(TickLine.rfc3339(stored.createdAt)) instead, the newest that can be read")
            }
            if let reason = ModelCatalog.mismatch(model, config) {
                logger.notice("the last checkpoint does not fit this config (\(reason)); not used")
                return nil
            }
            // Checkpoints before session 23 do not say; they are taken as before. Weights a fresh
            // model learned here ("none") never served beside trained ones: the trained weights
            // serve, and the referee weighs the two from the start.
            if let trainedWeights, let startedFrom = StoredReferee.trainedWeights(checkpointMetrics: stored.metricsJSON),
               startedFrom != trainedWeights, startedFrom != "none" {
                logger.notice("the last checkpoint learned from other trained weights (crc32 \(startedFrom), these are crc32 \(trainedWeights)); not used: learning starts anew from these")
                return nil
            }
            passedOver = false
            return (model, stored.createdAt, StoredReferee.learnedServe(checkpointMetrics: stored.metricsJSON) ? .learned : .trained,
                    StoredReferee.learningSteps(checkpointMetrics: stored.metricsJSON) ?? 0)
        } catch StoreError.unavailable {
            logger.notice("no checkpoint resumed: the database is not open (its checkpoints serve from the next start after it opens)")
            return nil
        } catch {
            logger.error("the stored checkpoints cannot be read, none resumed: \(error)")
            return nil
        }
    }

    func ingest(_ sample: Sample) -> DetectionPipeline<TraceClock>.TickResult {
        clock.set(unixSeconds: sample.timestamp)
        if lastCheckpoint == nil { lastCheckpoint = sample.timestamp }
        let result = pipeline.ingest(sample)
        for event in result.events {
            for failure in alerts.deliver(event) { logger.error("\(failure.description)") }
        }
        store.stage(PredictionRecord(timestamp: sample.timestamp, tick: sample.tick, probability: result.probability,
                                     state: result.state, label: result.label))
        if let change = result.servingChange { logger.notice("\(Self.describe(change))") }
        // Said only once the window is full: while it fills there is no p anyway, and features
        // never seen yet (rates at the first tick) are not features missing for long.
        let blindNow = result.blind && result.outcome.windowFill == result.outcome.windowTicks
        if blindNow != blind {
            blind = blindNow
            if blind {
                logger.warning("no prediction: every model feature (\(config.model.features.joined(separator: ", "))) has been missing for more than \(ModelInputWindow.defaultCarryTicks) ticks; no predicted alert fires until one comes back")
            } else {
                logger.notice("predicting again: a model feature is back")
            }
        }
        switch result.learning {
        case .rolledBack(let live, let good)?:
            logger.warning("online learning rolled back: loss on held-out windows \(live) against \(good) for the last good weights")
        case .skippedNonFinite?:
            logger.warning("online learning skipped a step whose loss or gradient was not finite")
        case .accepted(let live, let good)?:
            logger.info("online learning: \(pipeline.learner?.steps ?? 0) steps, held-out loss \(live) (last good \(good)): weights kept as the new good ones")
        case .kept(let live, let good)?:
            logger.info("online learning: \(pipeline.learner?.steps ?? 0) steps, held-out loss \(live) (last good \(good)): learning goes on")
        case nil:
            break
        }
        if !reportedLearningBehind, let learner = pipeline.learner, learner.ticksBehind > 0 {
            let finishedThen = learningBehindAfterSteps ?? learner.finishedSteps
            learningBehindAfterSteps = finishedThen
            if learner.finishedSteps > finishedThen, let cpu = learner.lastStepCPUSeconds {
                reportedLearningBehind = true
                logger.notice("online learning is slower than one step every \(config.learning.stepEveryTicks) ticks (a step takes \(NumberText.fixed(cpu, decimals: 3)) s of CPU): steps run back to back on their own thread, ticks are not delayed")
            }
        }
        // abs: a wall clock stepped back must not stop the checkpoints until it catches up.
        if let lastCheckpoint, abs(sample.timestamp - lastCheckpoint) >= Self.checkpointEvery { checkpoint() }
        if let referee = pipeline.referee, referee.observed - observedAtRecordTry >= referee.policy.checkEvery { saveRefereeRecord() }
        return result
    }

    /// At shutdown and before a reload: the weights and the referee's record.
    func saveState() {
        checkpoint()
        saveRefereeRecord()
    }

    /// Saves the live weights if online learning changed them, or the serving weights changed,
    /// since the last checkpoint.
    func checkpoint() {
        guard !savesNoCheckpoint, let learner = pipeline.learner,
              learner.steps > stepsAtCheckpoint || pipeline.referee?.serving != servingAtCheckpoint else { return }
        let now = clock.unixSeconds(clock.now)
        do {
            let serving = pipeline.referee.map { ",\"serving\":\"\($0.serving.rawValue)\"" } ?? ""
            let metrics = "{\"steps\":\(learner.steps),\"rollbacks\":\(learner.rollbacks),\"loss\":\(learner.lastLoss.map { "\($0)" } ?? "null")\(serving),\"trained\":\"\(trainedWeights)\"}"
            try store.saveCheckpoint(version: Int(ModelFile.version), model: pipeline.modelFile.encoded(), metricsJSON: metrics, at: now)
            stepsAtCheckpoint = learner.steps
            servingAtCheckpoint = pipeline.referee?.serving
            lastCheckpoint = now
            logger.info("checkpoint saved after \(learner.steps) learning steps")
        } catch {
            // Tried again at the next interval: each tick of a full disk would otherwise encode
            // the weights and log this again.
            lastCheckpoint = now
            logger.error("checkpoint not saved, next try in \(DurationText.format(.seconds(Self.checkpointEvery))) or at shutdown: \(error)")
        }
    }

    /// What a referee's record was kept under: the trained weights (ModelFile.weightsChecksum),
    /// the horizon, the SLO rule and the alert policy, announced sales included. A record kept under others is not
    /// used: its alerts are not the ones these would have raised.
    static func refereeContext(trained: ModelFile, config: SurgeConfig) -> String {
        let checksum = String(trained.weightsChecksum, radix: 16)
        func conditions(_ list: [OverloadCondition]) -> String { "[" + list.map(\.description).joined(separator: ", ") + "]" }
        let rule = "any \(conditions(config.overload.any)) all \(conditions(config.overload.all)) for \(config.overload.forTicks) ticks"
        // Announced sales fire alerts too (none announced adds nothing, so older records still match).
        let alert = config.alert.described(alsoFiring: config.schedule.firing)
        return "trained weights crc32 \(checksum); horizon \(config.model.horizonTicks) ticks; rule \(rule); \(alert)"
    }

    /// Saves the referee's record when it holds ticks not yet saved.
    func saveRefereeRecord() {
        guard let referee = pipeline.referee, let refereeContext, referee.observed > observedAtRecordSave else { return }
        observedAtRecordTry = referee.observed
        do {
            try store.saveRefereeRecord(referee.encodedRecord(), ticks: referee.recordCount, context: refereeContext,
                                        at: clock.unixSeconds(clock.now))
            observedAtRecordSave = referee.observed
        } catch {
            logger.error("the referee's record was not saved, next try in \(referee.policy.checkEvery) ticks or at shutdown: \(error)")
        }
    }

    /// Resumes the referee's record from the database, when it was kept under this context.
    private func restoreRefereeRecord() {
        guard pipeline.referee != nil, let refereeContext else { return }
        do {
            guard let stored = try store.refereeRecord() else { return }
            let saved = TickLine.rfc3339(stored.savedAt)
            guard stored.context == refereeContext else {
                logger.notice("the referee's record of \(saved) was kept under other trained weights, SLO rule or alert policy; it starts anew")
                return
            }
            try pipeline.restoreRefereeRecord(stored.record)
            if let referee = pipeline.referee {
                let (trained, learned) = referee.scores()
                logger.notice("the referee's record resumes with \(referee.recordCount) ticks up to \(saved): \(WeightsReferee.describe(trained: trained, learned: learned))")
            }
        } catch {
            logger.error("the referee's record is unusable, it starts anew: \(error)")
        }
    }

    /// The daily log line on the weights: which serve, and the referee's record now; nil
    /// without a referee.
    var refereeStanding: String? {
        guard let referee = pipeline.referee else { return nil }
        let (trained, learned) = referee.scores()
        return "the \(referee.serving.rawValue) weights serve; \(WeightsReferee.describe(trained: trained, learned: learned, ticks: referee.recordCount))"
    }

    /// The log line of a change of the serving weights, with the record that decided it.
    static func describe(_ change: WeightsReferee.Verdict) -> String {
        let record = WeightsReferee.describe(trained: change.trained, learned: change.learned)
        switch change.serving {
        case .learned: return "the weights learned on this host serve from now on: \(record)"
        case .trained: return "the trained weights serve again: \(record)"
        }
    }
}
