import CMalloc
import Glibc
import Synchronization
import Logging
import ServiceLifecycle
import SurgeConfig
import SurgeDetection
import SurgeJournal
import SurgeSampling
import SurgeStore

/// The daemon's heartbeat: every interval, read all sources into a sample, feed the pipeline,
/// report to systemd and stdout. It reads no clock but the one it is given.
final class TickService: Service {
    let initialConfig: SurgeConfig
    let options: DaemonOptions
    let mailbox: ReloadMailbox
    let forgetRequests: ForgetMailbox
    let store: SurgeStore
    let alerts: AlertFanOut
    /// Also among `alerts`' sinks; here for what a reload, a resumed alert and a stop tell it.
    let alertmanager: AlertmanagerSink
    let notifier: SystemdNotifier
    let output: TickOutput
    let logger: Logger
    let initialModel: ModelSource
    let stateDirectory: String
    /// Closes the alerts an earlier run left open, but the one named (which this start continues).
    let closeAlertsLeftOpen: @Sendable (_ continuing: String?) -> Void

    init(config: SurgeConfig, model: ModelSource, stateDirectory: String, options: DaemonOptions, mailbox: ReloadMailbox,
         forgetRequests: ForgetMailbox = ForgetMailbox(), store: SurgeStore, alerts: AlertFanOut, alertmanager: AlertmanagerSink, notifier: SystemdNotifier, output: TickOutput, logger: Logger,
         closeAlertsLeftOpen: @escaping @Sendable (_ continuing: String?) -> Void) {
        self.closeAlertsLeftOpen = closeAlertsLeftOpen
        initialConfig = config
        initialModel = model
        self.stateDirectory = stateDirectory
        self.options = options
        self.mailbox = mailbox
        self.forgetRequests = forgetRequests
        self.store = store
        self.alerts = alerts
        self.alertmanager = alertmanager
        self.notifier = notifier
        self.output = output
        self.logger = logger
    }

    /// Whether a reload must rebuild the sources: they, or where they read, changed.
    static func sourcesChanged(from old: SurgeConfig, to new: SurgeConfig) -> Bool {
        new.sources != old.sources || new.sampling.procRoot != old.sampling.procRoot || new.sampling.cgroupRoot != old.sampling.cgroupRoot
    }

    /// Keys a reload cannot apply: the database and the journal sink are opened once, at start.
    static func keysForTheNextStart(from old: SurgeConfig, to new: SurgeConfig) -> [String] {
        [(new.store.path != old.store.path, "store.path"), (new.journal.identifier != old.journal.identifier, "journal.identifier")]
            .filter(\.0).map(\.1)
    }

    func interval(of config: SurgeConfig) -> Duration {
        options.intervalOverride ?? config.sampling.interval
    }

    func run() async throws {
        let deadline = ShutdownDeadline()
        let progress = TickProgress()
        let tickThread = JobThread.start(name: "surgewatch-tick")
        let ticks = await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { [self] in
                await withTaskExecutorPreference(tickThread) {
                    await loop(progress: progress, tickThread: tickThread)
                }
            }
        } onGracefulShutdown: { [notifier, logger] in
            notifier.stopping(status: "stopping")
            deadline.arm(after: .milliseconds(1800)) {
                let stuck = progress.current
                logger.error("tick \(stuck.tick) still running 1.8 s after the stop request (stuck in \(stuck.stage)); exiting without it")
            }
        }
        tickThread?.stop()
        deadline.finish()
        do {
            try store.commit()
        } catch {
            let unstored = store.pendingTicks.map { " (the samples of ticks \($0.lowerBound)-\($0.upperBound))" } ?? ""
            logger.error("final database write failed, \(store.pendingCount) rows\(unstored) not stored: \(error)")
        }
        // The last tick's resolve, if it is still on its way: what is left of the stop's 2 s.
        alertmanager.stop(waitingUpTo: 0.5)
        notifier.stopping(status: "stopped after \(NumberText.counted(ticks, "tick"))")
        logger.notice("stopped after \(NumberText.counted(ticks, "tick"))")
    }

    /// Runs ticks until cancelled (graceful shutdown) or `maxTicks`; returns the tick count.
    private func loop(progress: TickProgress, tickThread: JobThread?) async -> Int {
        var config = initialConfig
        var collector = SampleCollector(sources: SourceFactory.make(config))
        var readingStage = "reading " + collector.sourceList
        var detection: DetectionStage
        // Only from an open database: one that opens late closes the alerts left open itself
        // (SurgeStore), and this start warms up as before.
        let resumed = store.unavailable == nil
            ? ResumedWindow.read(store: store.path, schema: collector.schema, capacity: config.window.ticks,
                                 intervalSeconds: interval(of: config).seconds, now: wallClockSeconds())
            : nil
        let continued = resumed?.window == nil ? nil : continuedAlert()
        if store.unavailable == nil { closeAlertsLeftOpen(continued?.id) }
        do {
            detection = try DetectionStage(config: config, schema: collector.schema, source: initialModel, store: store, alerts: alerts,
                                           history: resumed?.window, openAlert: continued, tickInterval: interval(of: config), logger: logger)
        } catch {
            logger.critical("cannot start the detection pipeline: \(error)")
            return 0
        }
        defer { detection.saveState() }
        if let resumed {
            // Starting empty is the usual first start; resuming is worth a notice.
            logger.log(level: resumed.unreadable ? .warning : resumed.window == nil ? .info : .notice, "\(resumed.message)")
        }
        var problems = ProblemLog()
        var droppedSamplesSeen = 0
        let clock = ContinuousClock()
        let start = clock.now
        var schedule = TickSchedule(anchor: start, interval: interval(of: config))
        var deadline = start
        let watchdog = notifier.watchdogPeriod()
        var tick = 0
        var dailyRecord = dailyRecordSchedule(config: config, lastStored: resumed?.newestStored)
        /// The span the day's record reads, from the tick it fell due until it is logged.
        var recordDue: (since: Double, until: Double)?
        var missingMetrics = MissingMetricsWatch(config: config, schema: collector.schema)
        var ownCost = OwnCost(wallSeconds: 0)
        var textfile = TextfileTarget()
        var overruns = OverrunLog()
        logger.notice("sampling \(collector.schema.count) metrics from \(collector.sourceList) every \(DurationText.format(schedule.interval)); window \(config.window.ticks) ticks")

        while !Task.isCancelled {
            do {
                try await wait(until: deadline, on: clock, sleepingOn: tickThread, pinging: watchdog)
            } catch {
                break
            }
            if let newConfig = mailbox.take() {
                let changedSources = Self.sourcesChanged(from: config, to: newConfig)
                // The new pipeline comes first: if its model cannot serve, the reload is ignored
                // whole, sources included, since the running pipeline reads the old sources'
                // columns (applying the sources alone stopped the daemon on its next tick).
                let newCollector = changedSources ? SampleCollector(sources: SourceFactory.make(newConfig)) : collector
                do {
                    let source = try ModelSource.choose(config: newConfig, explicitPath: nil, stateDirectory: stateDirectory)
                    detection.saveState()
                    // Rows taken at another interval would make windows unlike any the model
                    // learned (its window and horizon are counted in ticks): as at a start
                    // (`TickRun`), the window begins again.
                    let sameInterval = interval(of: newConfig) == schedule.interval
                    let reloaded = try DetectionStage(config: newConfig, schema: newCollector.schema, source: source, store: store, alerts: alerts,
                                                      history: sameInterval ? detection.pipeline.window : nil,
                                                      openAlert: detection.pipeline.alerts.open,
                                                      reliability: detection.pipeline.reliability, tickInterval: interval(of: newConfig),
                                                      logger: logger)
                    reloaded.blind = detection.blind  // "no prediction" and "predicting again" are said once each, reloads or not
                    detection = reloaded
                    collector = newCollector
                    // A source the reload removed has not recovered; its outage is not reported.
                    problems.forget(sourcesOtherThan: Set(collector.sources.map(\.id) + ["database", TextfileTarget.source]))
                    readingStage = "reading " + collector.sourceList
                    let kept = sameInterval ? "\(detection.pipeline.window.count) kept"
                        : "none kept: taken every \(DurationText.format(schedule.interval)) before"
                    if !sameInterval {
                        schedule = TickSchedule(anchor: clock.now, interval: interval(of: newConfig))
                    }
                    // Under --tick-interval a day is counted in the config's ticks: another interval
                    // counts anew; the same one goes on, so a reload does not cut the day short.
                    if options.intervalOverride != nil && newConfig.sampling.interval != config.sampling.interval {
                        dailyRecord = dailyRecordSchedule(config: newConfig, lastStored: nil)
                    }
                    let atNextStart = Self.keysForTheNextStart(from: config, to: newConfig)
                    if !atNextStart.isEmpty {
                        logger.warning("SIGHUP: \(atNextStart.joined(separator: " and ")) changed; that applies at the next start (systemctl restart surgewatch)")
                    }
                    config = newConfig
                    alertmanager.configure(newConfig.alertmanager)
                    missingMetrics = MissingMetricsWatch(config: newConfig, schema: collector.schema)
                    // The old pipeline and the new one lived side by side (the old one serves
                    // until the new one can): give the old one's freed pages back to the system,
                    // which glibc's heap otherwise keeps (5.5 MiB of RSS after a few reloads,
                    // Benchmarks/soak.py --reloads).
                    malloc_trim(0)
                    logger.notice("configuration reloaded: \(collector.schema.count) metrics, window \(newConfig.window.ticks) ticks (\(kept)), every \(DurationText.format(schedule.interval))\(changedSources ? ", sources rebuilt" : "")")
                } catch {
                    logger.error("SIGHUP: the new configuration is ignored, its model cannot serve: \(error)")
                }
            }
            if forgetRequests.take(), let rebuilt = forgetAsked(config: config, schema: collector.schema, running: detection) {
                detection = rebuilt
                // Both pipelines lived side by side, as at a reload: the old one's pages go back.
                malloc_trim(0)
            }

            tick += 1
            progress.enter(tick: tick, stage: readingStage)
            let monotonic = start.duration(to: clock.now).seconds
            let collected = await collector.collect(tick: tick, timestamp: wallClockSeconds(), monotonicSeconds: monotonic)
            for (source, list) in collected.problems {
                problems.record(list, source: source, atSeconds: monotonic, logger: logger)
            }
            progress.enter(tick: tick, stage: "the detection pipeline")
            let result = detection.ingest(collected.sample)
            for message in missingMetrics.observe(collected.sample, label: result.label) {
                logger.log(level: message.level == .warning ? .warning : .notice, "\(message.text)")
            }
            let outcome = result.outcome
            let cpuMicroseconds = ownCost.tick(wallSeconds: start.duration(to: clock.now).seconds)
            let prediction = result.probability.map { "p(overload) \(NumberText.short($0)) · \(result.state)" }
                ?? (detection.blind ? "no prediction: every feature missing · \(result.state)" : "warming up")
            emit(collected.sample, outcome, features: config.model.features, prediction: prediction, cpuMicroseconds: cpuMicroseconds)

            progress.enter(tick: tick, stage: "writing the database")
            store.stage(collected.sample)
            var committed = false
            do {
                try store.commit()
                committed = true
                // A database that opened late did the restart's work first; say it now.
                Daemon.sayClosed(store.takeAlertsClosedLate(), logger: logger) { event in
                    for failure in alerts.deliver(event) { logger.error("\(failure.description)") }
                }
                // Once a minute of ticks: 500 rows per table per call keep up with 1 row a tick.
                if tick % 60 == 1 {
                    try store.prune(olderThan: collected.sample.timestamp - config.store.retention.seconds)
                }
                Daemon.sayDatabaseFileChanges(store, logger: logger)
            } catch {
                problems.record([SourceProblem(kind: .failure, location: store.path, message: "\(error); \(store.pendingCount) rows kept for the next tick")],
                                source: "database", atSeconds: monotonic, logger: logger)
            }
            // The day's own cost and the referee's standing need no database; the record reads
            // the day's rows, so while they cannot be written it waits for them (a failure at
            // the due tick once lost the day's three lines).
            let dayEnded = dailyRecord.isDue(tick: tick, at: collected.sample.timestamp)
            if dayEnded { recordDue = (dailyRecord.recordSince, collected.sample.timestamp) }
            if committed, let span = recordDue {
                logRecord(config: config, since: span.since, until: span.until)
                recordDue = nil
            } else if dayEnded {
                logger.notice("the record over the last day waits until the database is written again (\(store.pendingCount) rows waiting)")
            }
            if dayEnded {
                if let standing = detection.refereeStanding { logger.notice("\(standing)") }
                logger.notice("\(ownCost.report(memory: OwnCost.memory()))")
            }
            // Off (and no file left from before a reload): nothing to build on the tick's path.
            if config.prometheus.textfile != nil || textfile.written != nil {
                let shown = PrometheusTextfile.State(
                    timestamp: collected.sample.timestamp, tick: tick, probability: result.probability, state: result.state, label: result.label,
                    horizonSeconds: Double(config.model.horizonTicks) * interval(of: config).seconds, missingFeatures: outcome.missingFeatures,
                    sourceFailures: problems.totalFailures,
                    learning: detection.pipeline.learner.map { .init(steps: $0.steps, rollbacks: $0.rollbacks) })
                if let failure = textfile.show(shown, at: config.prometheus.textfile) {
                    problems.record([SourceProblem(kind: .failure, location: config.prometheus.textfile ?? "", message: failure)],
                                    source: TextfileTarget.source, atSeconds: monotonic, logger: logger)
                }
            }
            problems.endTick(atSeconds: monotonic, logger: logger) { source in
                guard source == "database" else { return nil }
                let dropped = store.droppedSamples - droppedSamplesSeen
                droppedSamplesSeen = store.droppedSamples
                return dropped == 0 ? "every tick kept meanwhile is stored"
                    : "the oldest \(dropped) ticks were dropped (at most \(store.maxPendingTicks) wait), the rest are stored"
            }

            var status = "tick \(tick) · \(prediction) · window \(outcome.windowFill)/\(outcome.windowTicks) · \(outcome.missingFeatures)/\(config.model.features.count) features missing · \(problems.totalFailures) source failures"
            // What `systemctl status` shows while the database cannot be written.
            let waiting = store.pendingCount
            if waiting > 0 { status += " · database not written, \(waiting) rows waiting" }
            if let trouble = alertmanager.trouble { status += " · " + trouble }
            notifier.tick(status: status, first: tick == 1, watchdog: watchdog != nil)

            progress.enter(tick: tick, stage: "idle")
            if let maxTicks = options.maxTicks, tick >= maxTicks { break }
            let now = clock.now
            let next = schedule.next(after: now)
            if next.skipped > 0, let warning = overruns.overran(tick: tick, ran: deadline.duration(to: now).seconds, skipped: next.skipped,
                                                               interval: schedule.interval, atSeconds: start.duration(to: now).seconds) {
                logger.warning("\(warning)")
            }
            deadline = next.deadline
        }
        textfile.stop()
        // What this run cost since the last daily record: a restart or stop says it too.
        if ownCost.ticks > 0 { logger.notice("\(ownCost.report(memory: OwnCost.memory()))") }
        return tick
    }

    /// At each local midnight; with `--tick-interval`, after each day of the config's ticks
    /// (of its interval, at whatever pace they run).
    private func dailyRecordSchedule(config: SurgeConfig, lastStored: Double?) -> DailyRecordSchedule {
        guard options.intervalOverride != nil else { return DailyRecordSchedule(lastStored: lastStored) }
        return DailyRecordSchedule(ticksPerDay: Int((86400 / config.sampling.interval.seconds).rounded()))
    }

    /// Once a day, the daemon's own record over the last day in the log: what
    /// `surgewatch alerts --record --since 1d` shows, from the rows just committed.
    private func logRecord(config: SurgeConfig, since: Double, until: Double) {
        let record: HostRecord
        do {
            record = try HostRecord.stored(in: store.path, since: since, until: until, config: config)
        } catch {
            logger.warning("could not read the last day's predictions for the daily record: \(error)")
            return
        }
        logger.notice("record over the last day (\(record.ticks) ticks): \(record.summary)")
    }

    /// Sleeps until `deadline`, waking every half watchdog period to ping systemd when the
    /// interval is longer than that (interval may be up to 5 minutes).
    private func wait(until deadline: ContinuousClock.Instant, on clock: ContinuousClock, sleepingOn tickThread: JobThread?,
                      pinging watchdog: Duration?) async throws {
        while clock.now < deadline {
            var wake = deadline
            if let watchdog { wake = min(deadline, clock.now.advanced(by: watchdog / 2)) }
            if let tickThread {
                try await tickThread.sleep(for: clock.now.duration(to: wake))
            } else {
                try await clock.sleep(until: wake, tolerance: .milliseconds(1))
            }
            if wake < deadline { notifier.watchdog() }
        }
        try Task.checkCancellation()
    }

    private func emit(_ sample: Sample, _ outcome: TickOutcome, features: [String], prediction: String, cpuMicroseconds: Double) {
        switch output {
        case .none: return
        case .text: writeStdoutLine(TickLine.text(sample, features: features, outcome: outcome, prediction: prediction))
        case .json: writeStdoutLine(TickLine.json(sample, cpuMicroseconds: cpuMicroseconds))
        }
    }

    /// The alert the last run left open, when this start resumed its window: the restart was
    /// quick, so the episode goes on under the same alert rather than a resolved and a new
    /// fired entry a few seconds apart.
    private func continuedAlert() -> AlertStateMachine<TraceClock>.OpenAlert? {
        do {
            guard let open = try store.openAlerts().first else { return nil }
            logger.notice("alert \(open.id) (\(open.kind.rawValue), fired \(TickLine.rfc3339(open.firedAt))) goes on: the window resumed, so this restart is part of its episode")
            alertmanager.resume(alertID: open.id, kind: open.kind, firedAt: open.firedAt, escalatedAt: open.escalatedAt, summary: open.message)
            return .init(id: open.id, kind: open.kind, firedAt: open.firedAt, peakProbability: open.peakProbability)
        } catch {
            logger.error("could not read the alerts left open: \(error)")
            return nil
        }
    }

    private func wallClockSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// Which tick is running and in what stage, for the shutdown deadline's message.
final class TickProgress: Sendable {
    private let state = Mutex((tick: 0, stage: "start-up"))

    func enter(tick: Int, stage: String) { state.withLock { $0 = (tick, stage) } }
    var current: (tick: Int, stage: String) { state.withLock { $0 } }
}
