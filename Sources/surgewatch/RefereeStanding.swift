import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeStore

/// `alerts --record`'s answer to "which weights serve, and why": the serving weights the newest
/// checkpoint names, and the referee's saved record scored as the daemon scores it (its own
/// last 3 days, whatever `--since` says).
struct RefereeStanding {
    let stored: StoredReferee
    let policy = WeightsReferee.Policy()
    /// Both weights' alerts scored on the record; nil when its bytes could not be read.
    let scores: (trained: EpisodeScore, learned: EpisodeScore)?
    let ticks: Int
    let problem: String?

    /// nil when the database holds no referee record.
    init?(path: String, config: SurgeConfig) throws {
        guard let stored = try StoredReferee.read(path: path) else { return nil }
        self.stored = stored
        var referee = WeightsReferee(alert: AlertPolicy(config.alert), horizon: config.model.horizonTicks, policy: policy)
        do {
            try referee.restoreRecord(from: stored.record)
            (scores, ticks, problem) = (referee.scores(), referee.recordCount, nil)
        } catch {
            (scores, ticks, problem) = (nil, 0, error.description)
        }
    }

    var text: String {
        let serving = "the \(stored.serving) ones" + (stored.checkpointAt.map { " (the checkpoint of \(TickLine.rfc3339($0)))" } ?? "")
        guard let scores else { return "which weights serve: \(serving); the referee's record is unreadable: \(problem ?? "")" }
        return "which weights serve: \(serving); on the referee's record saved \(TickLine.rfc3339(stored.savedAt)), "
            + WeightsReferee.describe(trained: scores.trained, learned: scores.learned, ticks: ticks)
            + "; the learned ones serve once they net \(policy.margin) more (warned minus false alarms), the trained ones again once they net more"
    }

    var json: String {
        func figures(_ score: EpisodeScore) -> String {
            "{\"episodes\":\(score.episodes),\"warned\":\(score.warned),\"false_alarms\":\(score.falseAlarms)}"
        }
        let serving = JSONText.string(stored.serving)
        let checkpoint = stored.checkpointAt.map { JSONText.string(TickLine.rfc3339($0)) } ?? "null"
        let record = scores.map { "\"record_ticks\":\(ticks),\"record_days\":\(JSONText.number($0.trained.days)),\"trained\":\(figures($0.trained)),\"learned\":\(figures($0.learned))" }
            ?? "\"problem\":\(JSONText.string(problem ?? ""))"
        return "{\"serving\":\(serving),\"checkpoint_at\":\(checkpoint),\"record_saved_at\":\(JSONText.string(TickLine.rfc3339(stored.savedAt))),\(record)}"
    }
}
