import ArgumentParser
import SurgeConfig
import SurgeDetection
import SurgeModel
import SurgeSimulation

/// Per-tick CPU time of the detection pipeline as the daemon runs it (default config: window
/// 30, 4 features, 2 × 32 LSTM, online learning on: one Adam mini-batch of 32 every 10 ticks),
/// over a simulated flash-sale trace so that labels, pending targets, learning and alerts all
/// happen. Also replay speed with learning off and on (whole-trace throughput), each with two
/// threads and with one.
struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Per-tick CPU of the detection pipeline (learning on), and replay throughput.")

    @Option(help: "Days of simulated 10 s ticks.")
    var days = 7.0

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        // The referee's figures need its whole record (3 days) filled by the trace.
        guard days >= 3 else { throw ValidationError("--days must be at least 3: the referee's record holds 3 days") }
    }

    func run() throws {
        let trace = DemandSeries.flashSales(days: days, seed: 5).simulate(seed: 5)
        var config = SurgeConfig()
        let model = ModelCatalog.fresh(config)
        // The built-in model's case: the same shape, learning its output layer.
        let settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: false)
        let (ticks, learning, learningTicks, pipeline) = try Self.perTickCPU(trace: trace, settings: settings, model: model)
        // The peers in the same run: the learned weights always serve, so no second forward
        // and no shadow alerts (the pipeline before session 17); and both weights run a whole
        // forward each (session 17, before the learned ones took the head alone).
        var withoutReferee = settings
        withoutReferee.referee = nil
        let (peerTicks, _, _, _) = try Self.perTickCPU(trace: trace, settings: withoutReferee, model: model)
        var twoForwards = settings
        twoForwards.headOnlyWhileLayersMatch = false
        let (twoForwardTicks, _, _, _) = try Self.perTickCPU(trace: trace, settings: twoForwards, model: model)
        // The referee's hourly work on a full record (3 days; this trace is longer): its verdict
        // scores both weights, and the daemon saves the record.
        let referee = pipeline.referee!
        precondition(referee.recordCount == referee.policy.recordTicks, "the trace fills the record")
        let verdict = Summary((0..<7).map { _ in Self.cpuMicroseconds { _ = referee.scores() } })
        let encoding = Summary((0..<7).map { _ in Self.cpuMicroseconds { _ = referee.encodedRecord() } })

        config.learning.online = false
        let frozen = try ReplayRunner.run(trace: trace, settings: .init(config: config, tickSeconds: 10, untrained: false), model: model)
        let frozenOneThread = try ReplayRunner.run(trace: trace, settings: .init(config: config, tickSeconds: 10, untrained: false), model: model,
                                                   parallel: false)
        config.learning.online = true
        let learned = try ReplayRunner.run(trace: trace, settings: .init(config: config, tickSeconds: 10, untrained: false), model: model)
        let learnedOneThread = try ReplayRunner.run(trace: trace, settings: .init(config: config, tickSeconds: 10, untrained: false), model: model,
                                                    parallel: false)
        let learnedWithoutReferee = try ReplayRunner.run(trace: trace, settings: withoutReferee, model: model)
        let peerRate = Double(trace.count) / learnedWithoutReferee.seconds
        let twoForwardRate = Double(trace.count) / (try ReplayRunner.run(trace: trace, settings: twoForwards, model: model)).seconds
        let frozenOneThreadRate = Double(trace.count) / frozenOneThread.seconds
        let frozenRate = Double(trace.count) / frozen.seconds, learnedRate = Double(trace.count) / learned.seconds
        let learnedOneThreadRate = Double(trace.count) / learnedOneThread.seconds
        // Learning starts once the buffer holds both classes, so part of this trace replays
        // without steps; the share of ticks under a step's pace says how much.
        let learningShare = Double(learned.learningSteps * settings.learning.stepEvery) / Double(trace.count)
        if json {
            print("{\"bench\":\"pipeline\",\"ticks\":\(trace.count),\"tick_cpu_us_median\":\(format(ticks.median)),\"tick_cpu_us_p99\":\(format(ticks.p99)),\"learning_tick_cpu_us_median\":\(format(learning.median)),\"learning_ticks\":\(learningTicks.count),\"replay_ticks_per_s_no_learn\":\(Int(frozenRate)),\"replay_ticks_per_s_no_learn_one_thread\":\(Int(frozenOneThreadRate)),\"replay_ticks_per_s_learn\":\(Int(learnedRate)),\"replay_ticks_per_s_learn_one_thread\":\(Int(learnedOneThreadRate)),\"replay_learning_share\":\(format(learningShare)),\"tick_cpu_us_median_without_referee\":\(format(peerTicks.median)),\"replay_ticks_per_s_learn_without_referee\":\(Int(peerRate)),\"tick_cpu_us_median_two_forwards\":\(format(twoForwardTicks.median)),\"replay_ticks_per_s_learn_two_forwards\":\(Int(twoForwardRate)),\"referee_verdict_us_median\":\(format(verdict.median)),\"referee_record_encode_us_median\":\(format(encoding.median)),\"build\":\"\(KernelBuild.name)\",\"peak_rss_mib\":\(format(Double(peakRSSKiB()) / 1024))}")
        } else {
            print("per tick (CPU): median \(format(ticks.median)) µs, p99 \(format(ticks.p99)) µs over \(trace.count) ticks")
            print("without the referee (the learned weights always serve): per tick median \(format(peerTicks.median)) µs, replay learning on \(Int(peerRate)) ticks/s")
            print("both weights a whole forward each: per tick median \(format(twoForwardTicks.median)) µs, replay learning on \(Int(twoForwardRate)) ticks/s")
            print("the referee's hourly verdict on 3 days: median \(format(verdict.median)) µs; encoding its record: \(format(encoding.median)) µs")
            print("ticks that learned (\(learningTicks.count)): median \(format(learning.median)) µs")
            print("replay: \(Int(frozenRate)) ticks/s learning off (\(Int(frozenOneThreadRate)) on one thread), \(Int(learnedRate)) ticks/s learning on (\(Int(learnedOneThreadRate)) on one thread; steps over \(format(100 * learningShare)) % of the trace)")
        }
    }

    /// CPU per tick of a pipeline fed the trace as the daemon feeds it, and of the ticks that ran
    /// an Adam step.
    static func perTickCPU(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile) throws
        -> (ticks: Summary, learning: Summary, learningTicks: [Double], pipeline: DetectionPipeline<TraceClock>) {
        let clock = TraceClock()
        let pipeline = try DetectionPipeline(settings: settings, schema: trace.schema, model: model, clock: clock, makeID: { "bench" })
        var perTick: [Double] = [], learningTicks: [Double] = []
        perTick.reserveCapacity(trace.count)
        for row in 0..<trace.count {
            let sample = trace.sample(row)
            clock.set(unixSeconds: sample.timestamp)
            let before = pipeline.learner?.steps ?? 0
            let start = threadCPUMicroseconds()
            _ = pipeline.ingest(sample)
            let spent = threadCPUMicroseconds() - start
            perTick.append(spent)
            if (pipeline.learner?.steps ?? 0) > before { learningTicks.append(spent) }
        }
        return (Summary(perTick), Summary(learningTicks.isEmpty ? [0] : learningTicks), learningTicks, pipeline)
    }

    /// Thread CPU microseconds that `work` took.
    static func cpuMicroseconds(_ work: () -> Void) -> Double {
        let start = threadCPUMicroseconds()
        work()
        return threadCPUMicroseconds() - start
    }
}
