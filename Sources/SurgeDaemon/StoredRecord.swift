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
