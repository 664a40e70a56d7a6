import SurgeConfig
import SurgeModel
import SurgeSampling

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
    public var model: ModelFile
    /// Seconds spent in the pipeline (parsing and writing not included).
    public var seconds: Double
}

public enum ReplayRunner {
    public static func run(trace: Trace, settings: DetectionPipeline<TraceClock>.Settings, model: ModelFile,
                           seed: UInt64 = 1) throws(PipelineError) -> ReplayResult {
        let clock = TraceClock(unixSeconds: trace.timestamps.first ?? 0)
        let ids = IDSequence(seed: seed)
        var settings = settings
        settings.learning.seed = seed
        let pipeline = try DetectionPipeline(settings: settings, schema: trace.schema, model: model, clock: clock,
                                             makeID: { ids.next() })
        var result = ReplayResult(probabilities: [], alerting: [], labels: [], events: [], learningSteps: 0, rollbacks: 0,
                                  model: model, seconds: 0)
        result.probabilities.reserveCapacity(trace.count)
        result.alerting.reserveCapacity(trace.count)
        result.labels.reserveCapacity(trace.count)
        let started = ContinuousClock.now
        for row in 0..<trace.count {
            clock.set(unixSeconds: trace.timestamps[row])
            let tick = pipeline.ingest(trace.sample(row))
            result.probabilities.append(tick.probability)
            result.alerting.append(tick.alerting)
            result.labels.append(tick.label)
            result.events += tick.events
        }
        result.seconds = (ContinuousClock.now - started).seconds
        result.learningSteps = pipeline.learner?.steps ?? 0
        result.rollbacks = pipeline.learner?.rollbacks ?? 0
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
