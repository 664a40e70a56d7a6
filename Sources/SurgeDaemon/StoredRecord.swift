import SurgeConfig
import SurgeDetection
import SurgeStore

extension HostRecord {
    /// The record of the predictions stored in the database at `path` since `since` and up to
    /// `until` (Unix seconds; nil: all), scored with `config`'s horizon, resolve_after and
    /// interval: the daemon's daily log line and `surgewatch alerts --record` (`keepingSeries`
    /// for its `--policy-grid`).
    /// `followingSales`: also how each of the config's announced sales went (`sales`).
    public static func stored(in path: String, since: Double?, until: Double? = nil, config: SurgeConfig,
                              keepingSeries: Bool = false, followingSales: Bool = false) throws -> HostRecord {
        let history = try PredictionHistory(path: path)
        var record = HostRecord(horizon: config.model.horizonTicks, mergeGap: config.alert.resolveAfter,
                                intervalSeconds: try storedRunInterval(of: history, config: config), keepingSeries: keepingSeries,
                                sales: followingSales && !config.schedule.sales.isEmpty ? config.schedule : nil)
        try history.forEach(since: since, until: until) { time, tick, state, label, probability in
            record.add(timestamp: time, tick: tick, state: state, label: label, probability: probability)
        }
        return record
    }

    /// The interval a stall is measured in (three of them without a tick end a run): the
    /// config's, or the stored ticks' own when they are longer. History kept at 1 m ticks and
    /// scored after the config went to 10 s would otherwise be cut into a run per tick, and
    /// score no episode at all.
    static func storedRunInterval(of history: PredictionHistory, config: SurgeConfig) throws -> Double {
        max(config.sampling.interval.seconds, try history.medianTickSeconds() ?? 0)
    }
}

extension Reliability {
    /// How the predictions stored in the database at `path` came true, read row by row without
    /// keeping them (the daemon seeds its pipeline's RunningReliability with it at start). Runs
    /// are cut where HostRecord cuts them, so the table equals `alerts --record`'s.
    public static func stored(in path: String, config: SurgeConfig) throws -> Reliability {
        var running = RunningReliability(horizon: config.model.horizonTicks)
        let history = try PredictionHistory(path: path)
        let interval = try HostRecord.storedRunInterval(of: history, config: config)
        var previous: (time: Double, tick: Int)?
        try history.forEach(since: nil) { time, tick, _, label, probability in
            if let previous, HostRecord.breaksRun(after: previous, time: time, tick: tick, intervalSeconds: interval) { running.breakRun() }
            running.add(probability: probability, label: label)
            previous = (time, tick)
        }
        return running.table
    }
}

extension PolicyGrid.Series {
    /// `series` (stored runs, oldest first, as `HostRecord.series` gives them) with the stored
    /// samples' values of `metrics` for the same ticks, joined on their time (a tick's sample
    /// and prediction rows share it): NaN where a tick has no stored sample or the database no
    /// such column. For `HoldSearch` on the host's own history.
    public static func withStoredColumns(_ series: [PolicyGrid.Series], metrics: [String], path: String, since: Double?) throws -> [PolicyGrid.Series] {
        let history = try SampleHistory(path: path)
        let positions = series.indices.flatMap { part in series[part].timestamps.indices.map { (part, $0) } }
        var filled = series
        for index in filled.indices {
            for metric in metrics { filled[index].columns[metric] = [Double](repeating: .nan, count: filled[index].timestamps.count) }
        }
        let stored = metrics.map { history.metrics.firstIndex(of: $0) }
        var next = 0
        let last = positions.last.map { series[$0.0].timestamps[$0.1] }
        try history.forEach(since: since, until: last) { time, values in
            while next < positions.count, series[positions[next].0].timestamps[positions[next].1] < time { next += 1 }
            guard next < positions.count else { return }
            let (part, row) = positions[next]
            guard series[part].timestamps[row] == time else { return }
            for (metric, column) in zip(metrics, stored) {
                if let column { filled[part].columns[metric]![row] = values[column] }
            }
            next += 1
        }
        return filled
    }
}
