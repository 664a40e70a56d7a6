#if canImport(Glibc)
import Glibc
#endif
import SurgeConfig
import SurgeModel
import SurgeSampling
import Synchronization

/// `surgewatch replay`'s work without the files: the daemon's pipeline over a trace, with trace
/// time for the alerts and alert ids drawn from a seeded generator, so that the same trace,
/// model and seed give the same output byte for byte.
public struct ReplayResult: Sendable {
    public var probabilities: [Double?]
    public var alerting: [Bool]
    public var labels: [Bool?]
    public var events: [AlertEvent]
    public var learningSteps: Int
    public var rollbacks: Int
    /// Changes of the serving weights (WeightsReferee), in trace order, with their ticks.
    public var servingChanges: [(row: Int, verdict: WeightsReferee.Verdict)] = []
    /// The weights serving at the end; nil without a referee (learning off, a fresh model).
    public var servingAtEnd: WeightsReferee.Choice?
    public var model: ModelFile
    /// Seconds spent in the pipeline (parsing and writing not included).
    public var seconds: Double
}

public enum ReplayRunner {
    public static func run(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile,
                           seed: UInt64 = 1, parallel: Bool = true) throws(PipelineError) -> ReplayResult {
        let clock = TraceClock(unixSeconds: trace.timestamps.first ?? 0)
        let ids = IDSequence(seed: seed)
        var settings = settings
        settings.learning.seed = seed
        settings.learning.halvesSideBySide = parallel
        let pipeline = try DetectionPipeline(settings: settings, schema: trace.schema, model: model, clock: clock,
                                             makeID: { ids.next() })
        var result = ReplayResult(probabilities: [], alerting: [], labels: [], events: [], learningSteps: 0, rollbacks: 0,
                                  model: model, seconds: 0)
        result.probabilities.reserveCapacity(trace.count)
        result.alerting.reserveCapacity(trace.count)
        result.labels.reserveCapacity(trace.count)
        let started = ContinuousClock.now
        // With fixed weights, the windows of the trace's later part are predicted on a second
        // thread while this one runs the pipeline through the earlier part, then takes those
        // predictions instead of running the model again (see `aheadShare`).
        let ahead = pipeline.learner == nil && parallel ? PredictionsAhead(trace: trace, settings: settings, model: model) : nil
        for row in 0..<trace.count {
            clock.set(unixSeconds: trace.timestamps[row])
            let tick = pipeline.ingest(trace.sample(row), predicted: ahead?.prediction(row: row))
            result.probabilities.append(tick.probability)
            result.alerting.append(tick.alerting)
            result.labels.append(tick.label)
            result.events += tick.events
            if let change = tick.servingChange { result.servingChanges.append((row, change)) }
        }
        result.seconds = (ContinuousClock.now - started).seconds
        result.learningSteps = pipeline.learner?.steps ?? 0
        result.rollbacks = pipeline.learner?.rollbacks ?? 0
        result.servingAtEnd = pipeline.referee?.serving
        result.model = pipeline.modelFile
        return result
    }
}

/// Alert ids from a seeded generator (replay is deterministic); the daemon uses random ones.
final class IDSequence: @unchecked Sendable {
    private var generator: SeededGenerator
    init(seed: UInt64) { generator = SeededGenerator(seed: seed ^ 0xa1e77) }
    func next() -> String { AlertEvent.id(from: &generator) }
}

/// The predictions of a trace's later rows, made on a thread of their own by a
/// `WindowPredictor` that first reads the ticks its window and gap-carrying reach back to, so
/// each equals the pipeline's own (a test compares whole replays). The pipeline takes each one
/// as soon as it is published, so both threads work until the end.
final class PredictionsAhead: Sendable {
    /// The share of rows predicted ahead. The pipeline spends about 28 µs on a tick it predicts
    /// itself and 6 µs on one it is handed, the predictor about 21 µs a tick: with about two
    /// thirds of the rows ahead, both threads finish together.
    static let aheadShare = 0.65
    let firstRow: Int
    /// Probabilities of rows firstRow..., NaN where the window was not yet full. Each element is
    /// written once, by the thread, before `published` passes it (release); the reader looks
    /// only below `published` (acquire).
    nonisolated(unsafe) private let made: UnsafeMutableBufferPointer<Double>
    private let published = Atomic<Int>(0)
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    init(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile) {
        firstRow = min(trace.count, Int(Double(trace.count) * (1 - Self.aheadShare)))
        made = .allocate(capacity: trace.count - firstRow)
        let warmUp = WindowPredictor.warmUpTicks(windowTicks: settings.windowTicks, carryTicks: ModelInputWindow.defaultCarryTicks)
        let from = max(0, firstRow - warmUp), first = firstRow, windowTicks = settings.windowTicks
        let work: @Sendable () -> Void = { [self] in
            var predictor = WindowPredictor(features: model.features, schema: trace.schema, windowTicks: windowTicks,
                                            shape: model.parameters.shape)
            let classifier = LSTMClassifier(parameters: model.parameters)
            let width = trace.schema.count
            trace.values.withUnsafeBufferPointer { values in
                for row in from..<trace.count {
                    predictor.push { Float(values[row * width + $0]) }
                    guard row >= first else { continue }
                    made[row - first] = predictor.predict(classifier) ?? .nan
                    published.store(row - first + 1, ordering: .releasing)
                }
            }
        }
        if let handle = PlainThread.start(work) {
            thread.withLock { $0 = handle }
        } else {  // no thread: predict here, before the pipeline starts
            work()
        }
    }

    /// The prediction of `row`, waiting for the thread to publish it; nil (the pipeline
    /// predicts itself) for rows before `firstRow`. The inner nil: the window was not full.
    func prediction(row: Int) -> Double?? {
        guard row >= firstRow else { return nil }
        let index = row - firstRow
        while published.load(ordering: .acquiring) <= index { sched_yield() }
        let p = made[index]
        return .some(p.isNaN ? nil : p)
    }

    /// The thread holds this object until its last prediction is out, so the last release can
    /// happen on the thread itself, which then must not wait for itself.
    deinit {
        if let handle = thread.withLock({ $0 }) {
            if pthread_equal(handle, pthread_self()) != 0 { pthread_detach(handle) } else { pthread_join(handle, nil) }
        }
        made.deallocate()
    }
}
