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
    /// Rows whose prediction the second thread made (learning off, two threads).
    public internal(set) var rowsPredictedAhead = 0
}

public enum ReplayRunner {
    /// `levels`: the host's levels before the trace's first tick (`HostLevels`; a trace that
    /// goes on from another, as a validation part from its training part), nil: from its start.
    public static func run(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile,
                           seed: UInt64 = 1, parallel: Bool = true, levels: HostLevels? = nil) throws(PipelineError) -> ReplayResult {
        try run(trace: trace, settings: settings, model: model, seed: seed, parallel: parallel,
                aheadChunkRows: PredictionsAhead.chunkRows, levels: levels)
    }

    /// `aheadChunkRows`: the second thread's stretch of rows (tests use short ones so that a
    /// short trace has several).
    static func run(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile,
                    seed: UInt64, parallel: Bool, aheadChunkRows: Int, levels: HostLevels? = nil) throws(PipelineError) -> ReplayResult {
        let clock = TraceClock(unixSeconds: trace.timestamps.first ?? 0)
        let ids = IDSequence(seed: seed)
        var settings = settings
        settings.learning.seed = seed
        settings.learning.halvesSideBySide = parallel
        let pipeline = try DetectionPipeline(settings: settings, schema: trace.schema, model: model, clock: clock,
                                             levels: levels, makeID: { ids.next() })
        var result = ReplayResult(probabilities: [], alerting: [], labels: [], events: [], learningSteps: 0, rollbacks: 0,
                                  model: model, seconds: 0)
        result.probabilities.reserveCapacity(trace.count)
        result.alerting.reserveCapacity(trace.count)
        result.labels.reserveCapacity(trace.count)
        let started = ContinuousClock.now
        // With fixed weights, a second thread predicts the trace's windows from its end backwards
        // while this one runs the pipeline from the start, taking those predictions instead of
        // running the model again where they are made (see `PredictionsAhead`).
        let ahead = pipeline.learner == nil && parallel
            ? PredictionsAhead(trace: trace, settings: settings, model: model, chunkRows: aheadChunkRows, levels: levels) : nil
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
        result.rowsPredictedAhead = ahead?.rowsTaken ?? 0
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

/// Predictions made on a thread of their own, from the trace's end backwards, a stretch of
/// `chunkRows` rows at a time, while the pipeline runs from the start: the pipeline takes each
/// one that is made and predicts the rest itself, so neither thread ever waits for the other,
/// and they meet wherever their speeds put them. (Session 20; before, the thread predicted a
/// fixed last 65 % of the rows, and the pipeline waited, spinning, wherever the machine made
/// the thread the slower one.)
///
/// A model that reads host levels (`HostLevels`, which remember every tick before) gets each
/// stretch's levels from one quick pass over the trace first.
/// Each stretch starts with a fresh `WindowPredictor` that first reads the ticks its window and
/// gap-carrying reach back to, so each prediction equals the pipeline's own (a test compares
/// whole replays).
final class PredictionsAhead: Sendable {
    /// A stretch's warm-up (the window and carry ticks before it, read again) costs the thread
    /// about 1 % of its rows at this length; a trace shorter than eight of them is cut in eight.
    static let chunkRows = 4096
    let chunkRows: Int
    let rowCount: Int
    /// Probabilities by row, NaN where the window was not yet full. Each element is written
    /// once, by the thread, before `doneFrom` or `madeUpTo` passes it (release); the reader
    /// looks only at rows they have passed (acquire).
    nonisolated(unsafe) private let made: UnsafeMutableBufferPointer<Double>
    /// The stretches from this index up are all made.
    private let doneFrom: Atomic<Int>
    /// In the stretch being made, the rows before this one are made. Stretches cover disjoint
    /// rows and each is made once, so a value inside a row's own stretch (above the row, at
    /// most its end) can only come from that stretch's making.
    private let madeUpTo = Atomic<Int>(0)
    /// The pipeline's row: the thread stops when the pipeline has reached the row it would make.
    private let pipelineRow = Atomic<Int>(0)
    /// Rows handed to the pipeline (only the pipeline's thread touches it).
    nonisolated(unsafe) private(set) var rowsTaken = 0
    private let thread: Mutex<pthread_t?> = Mutex(nil)

    init(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile, chunkRows: Int = PredictionsAhead.chunkRows,
         levels: HostLevels? = nil) {
        // At least eight stretches, so that a trace shorter than eight full ones is shared too
        // (with one stretch, the thread would start at row 0 just behind the pipeline).
        self.chunkRows = max(1, min(chunkRows, (trace.count + 7) / 8))
        rowCount = trace.count
        made = .allocate(capacity: max(1, trace.count))
        let chunks = (trace.count + self.chunkRows - 1) / self.chunkRows
        doneFrom = Atomic(chunks)
        let warmUp = WindowPredictor.warmUpTicks(windowTicks: settings.windowTicks, carryTicks: ModelInputWindow.defaultCarryTicks)
        let windowTicks = settings.windowTicks, size = self.chunkRows
        let startLevels = Self.levelsAtStretches(trace: trace, model: model, chunks: chunks, chunkRows: size, warmUp: warmUp, from: levels)
        let work: @Sendable () -> Void = { [self] in
            let classifier = LSTMClassifier(parameters: model.parameters)
            let width = trace.schema.count
            trace.values.withUnsafeBufferPointer { values in
                for chunk in stride(from: chunks - 1, through: 0, by: -1) {
                    let first = chunk * size, end = min(trace.count, first + size)
                    var predictor = WindowPredictor(features: model.features, schema: trace.schema, windowTicks: windowTicks,
                                                    shape: model.parameters.shape, levels: startLevels[chunk])
                    for row in max(0, first - warmUp)..<end {
                        predictor.push { Float(values[row * width + $0]) }
                        guard row >= first else { continue }
                        // The pipeline is here already: it predicts this row and the rest itself.
                        if pipelineRow.load(ordering: .relaxed) >= row { return }
                        made[row] = predictor.predict(classifier) ?? .nan
                        madeUpTo.store(row + 1, ordering: .releasing)
                    }
                    doneFrom.store(chunk, ordering: .releasing)
                }
            }
        }
        if trace.count > 0, let handle = PlainThread.start(work) {
            thread.withLock { $0 = handle }
        }  // no thread: the pipeline predicts every row itself
    }

    /// The host levels before each stretch's first row read (its warm-up's), as the pipeline
    /// has them there: every row before it taken in, as the window stores it (a Float). Nil
    /// for each when the model reads no level.
    static func levelsAtStretches(trace: Trace, model: ModelFile, chunks: Int, chunkRows: Int, warmUp: Int,
                                  from start: HostLevels?) -> [HostLevels?] {
        let scaler = FeatureScaler(model.features)
        guard scaler.readsLevels else { return [HostLevels?](repeating: nil, count: chunks) }
        var levels = start.flatMap { $0.fits(scaler) ? $0 : nil } ?? HostLevels(scaler)
        let columns = model.features.map { trace.schema.index(of: $0.name) }
        var raw = [Double](repeating: .nan, count: columns.count)
        var result: [HostLevels?] = []
        var row = 0
        for chunk in 0..<chunks {
            let first = max(0, chunk * chunkRows - warmUp)
            while row < first {
                for (index, column) in columns.enumerated() {
                    raw[index] = column.map { Double(Float(trace.value(row: row, column: $0))) } ?? .nan
                }
                levels.observe(raw)
                row += 1
            }
            result.append(levels)
        }
        return result
    }

    /// The prediction of `row` if the thread has made it, else nil (the pipeline predicts it
    /// itself); the inner nil: the window was not full. Called for each row in order.
    func prediction(row: Int) -> Double?? {
        pipelineRow.store(row, ordering: .relaxed)
        let chunk = row / chunkRows
        if chunk < doneFrom.load(ordering: .acquiring) {
            let upTo = madeUpTo.load(ordering: .acquiring)
            guard row < upTo, upTo <= min(rowCount, (chunk + 1) * chunkRows) else { return nil }
        }
        rowsTaken += 1
        let p = made[row]
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
