import SurgeConfig
import SurgeDetection
import SurgeStore

extension HostRecord {
    /// The record of the predictions stored in the database at `path` since `since` (Unix
    /// seconds; nil: all), scored with `config`'s horizon, resolve_after and interval: the
    /// daemon's daily log line and `surgewatch alerts --record` (`keepingSeries` for its
    /// `--policy-grid`).
    public static func stored(in path: String, since: Double?, config: SurgeConfig, keepingSeries: Bool = false) throws -> HostRecord {
        var record = HostRecord(horizon: config.model.horizonTicks, mergeGap: config.alert.resolveAfter,
                                intervalSeconds: config.sampling.interval.seconds, keepingSeries: keepingSeries)
        try PredictionHistory(path: path).forEach(since: since) { time, tick, state, label, probability in
            record.add(timestamp: time, tick: tick, state: state, label: label, probability: probability)
        }
        return record
    }
}

extension Reliability {
    /// How the predictions stored in the database at `path` came true, read row by row without
    /// keeping them (the daemon seeds its pipeline's RunningReliability with it at start). Runs
    /// are cut where HostRecord cuts them, so the table equals `alerts --record`'s.
    public static func stored(in path: String, config: SurgeConfig) throws -> Reliability {
        var running = RunningReliability(horizon: config.model.horizonTicks)
        let interval = config.sampling.interval.seconds
        var previous: (time: Double, tick: Int)?
        try PredictionHistory(path: path).forEach(since: nil) { time, tick, _, label, probability in
            if let previous, HostRecord.breaksRun(after: previous, time: time, tick: tick, intervalSeconds: interval) { running.breakRun() }
            running.add(probability: probability, label: label)
            previous = (time, tick)
        }
        return running.table
    }
}
