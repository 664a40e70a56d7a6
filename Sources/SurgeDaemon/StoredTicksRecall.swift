import SurgeDetection
import SurgeSampling
import SurgeStore

/// At a start or reload, online learning's memory comes back from the ticks stored in SQLite
/// (`LearningRecall`): the newest 30 days of them at most, read in the order written.
public enum StoredTicksRecall {
    public struct Outcome: Sendable {
        /// Stored ticks read.
        public var ticks = 0
        /// What the log says: the windows per target, what the memory holds, the time it took.
        public var message: String
        /// The stored ticks could not be read: a fault to warn of, not a first start.
        public var unreadable = false
    }

    /// Nil when `pipeline` does not learn online.
    public static func run<C>(pipeline: DetectionPipeline<C>, store path: String, intervalSeconds: Double) -> Outcome? {
        guard var recall = LearningRecall(pipeline: pipeline, intervalSeconds: intervalSeconds),
              let learner = pipeline.learner else { return nil }
        let clock = ContinuousClock()
        let started = clock.now
        let schema = pipeline.window.schema
        var first: Double?
        do {
            // The model's features and the rule's metrics: the other columns are not read.
            let rule = pipeline.settings.overload.any + pipeline.settings.overload.all
            let history = try SampleHistory(path: path, only: Set(pipeline.settings.features + rule.map(\.metric)))
            let columns = schema.names.map { history.metrics.firstIndex(of: $0) }
            var values = [Double](repeating: .nan, count: schema.count)
            try history.forEach(newest: LearningRecall.maxTicks) { time, stored in
                if first == nil { first = time }
                for (index, column) in columns.enumerated() { values[index] = column.map { stored[$0] } ?? .nan }
                recall.recall(time: time, values: values)
            }
        } catch {
            return Outcome(message: "online learning starts with an empty memory: the stored ticks cannot be read (\(error))", unreadable: true)
        }
        let seconds = (clock.now - started).seconds
        let stored = recall.ticks, labelled = recall.labelled
        recall.handOver(to: pipeline)
        guard let first else { return Outcome(message: "online learning starts with an empty memory: no tick stored yet") }
        let held = learner.replay.counts
        let minimum = learner.policy.minimumPerClass
        let waits = held.allSatisfy { $0 >= minimum } ? "" : "; learning waits for \(minimum) of each"
        let message = "online learning recalls the \(labelled[0] + labelled[1]) labelled windows "
            + "(\(labelled[1]) of overload) of the \(stored) ticks stored since \(TickLine.rfc3339(first)), "
            + "in \(NumberText.counted(recall.runs, "run")) an interval apart: "
            + "its memory holds \(held[0]) normal and \(held[1]) overload windows\(waits) "
            + "(read in \(NumberText.fixed(seconds, decimals: 2)) s)"
        return Outcome(ticks: stored, message: message)
    }
}
