import SurgeConfig
import SurgeDetection
import SurgeStore

/// What `alerts --record --db` scores a database with, having no config to read the tick
/// length and horizon from: the built-in defaults would time a host's 1 s ticks as 10 s ones
/// (and cut a 1 m host's history into a run per tick, since a run ends after three intervals
/// without a tick), so both are taken from what the database itself shows.
public enum StoredSettings {
    /// The built-in defaults with the tick length of the stored ticks and the horizon the
    /// newest stored alert names (in ticks of that length), and a line that says what was
    /// assumed and how to score with the host's own config instead.
    public static func config(forStoreAt path: String) throws -> (config: SurgeConfig, note: String) {
        var config = SurgeConfig()
        var taken: [String] = []
        if let tick = try PredictionHistory(path: path).medianTickSeconds(), tick >= 0.001 {
            config.sampling.interval = .milliseconds(Int64((tick * 1000).rounded()))
            taken.append("ticks of \(DurationText.format(seconds: tick)) as stored")
        }
        let interval = config.sampling.interval.seconds
        if let horizon = try AlertHistory(path: path).alerts(since: nil).first?.horizonSeconds, horizon.isFinite, horizon >= 0 {
            let ticks = Int((horizon / interval).rounded())
            if ticks <= 1000 {
                config.model.horizonTicks = ticks
                taken.append("a horizon of \(NumberText.counted(ticks, "tick")) as the newest alert names it")
            }
        }
        let defaults = "the built-in defaults otherwise (resolve_after \(config.alert.resolveAfter))"
        let note = "no config (--db): scored with " + (taken + [defaults]).joined(separator: ", ")
            + "; --config scores with the host's own"
        return (config, note)
    }
}
