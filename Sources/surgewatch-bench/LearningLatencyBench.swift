import ArgumentParser
import SurgeConfig
import SurgeDetection
import SurgeSimulation

/// How long a tick takes (wall time of the pipeline's ingest) while online learning runs,
/// with the learning step in the tick (inline, replay's way) and on a thread of its own (the
/// daemon's way), for the default sizes or larger ones. Ticks are fed back to back, so in the
/// background the steps run as fast as they can beside them.
struct LearningLatencyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learning-latency",
        abstract: "Tick latency with online learning inline and in the background.")

    @Option(help: "Window length in ticks.")
    var window = 30

    @Option(help: "LSTM hidden size.")
    var hidden = 32

    @Option(help: "Stacked LSTM layers.")
    var layers = 2

    @Option(help: "Days of simulated 10 s ticks.")
    var days = 7.0

    @Option(help: "Seed of the simulated flash sales.")
    var seed: UInt64 = 5

    @Option(help: "Learning starts once the buffer holds this many windows of each class.")
    var minWindowsPerClass = 64

    @Flag(help: "Learn every layer (a fresh model's way), not the output layer only (a trained model's).")
    var everyLayer = false

    func run() throws {
        let trace = DemandSeries.flashSales(days: days, seed: seed).simulate(seed: seed)
        var config = SurgeConfig()
        config.window.ticks = window
        config.model.hidden = hidden
        config.model.layers = layers
        config.learning.minimumWindowsPerClass = minWindowsPerClass
        let model = ModelCatalog.fresh(config)
        print("window \(window), hidden \(hidden), layers \(layers): \(trace.count) ticks, a step every \(config.learning.stepEveryTicks) ticks, "
              + (everyLayer ? "every layer learning" : "the output layer learning"))
        for execution in [OnlineLearner.Execution.inline, .background] {
            var settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: false)
            settings.learningExecution = execution
            settings.learning.outputLayerOnly = !everyLayer
            let clock = TraceClock()
            let pipeline = try DetectionPipeline(settings: settings, schema: trace.schema, model: model, clock: clock,
                                                 makeID: { "bench" })
            var latency: [Double] = [], stepCPU: [Double] = []
            latency.reserveCapacity(trace.count)
            var steps = 0
            for row in 0..<trace.count {
                let sample = trace.sample(row)
                clock.set(unixSeconds: sample.timestamp)
                let start = wallMicroseconds()
                _ = pipeline.ingest(sample)
                latency.append(wallMicroseconds() - start)
                if let learner = pipeline.learner, learner.steps > steps, let cpu = learner.lastStepCPUSeconds {
                    steps = learner.steps
                    stepCPU.append(cpu * 1e3)
                }
            }
            pipeline.learner?.finishRunningStep()
            let ticks = Summary(latency), step = Summary(stepCPU.isEmpty ? [0] : stepCPU)
            print("\(execution): tick wall time median \(format(ticks.median)) µs, p99 \(format(ticks.p99)) µs, max \(format(latency.max() ?? 0)) µs; "
                  + "\(pipeline.learner?.steps ?? 0) steps, CPU per step median \(format(step.median)) ms; "
                  + "ticks a due step waited \(pipeline.learner?.ticksBehind ?? 0); windows learnable per class \(pipeline.learner?.replay.added ?? [])")
        }
    }
}
