import SurgeDetection
import SurgeSampling
import SurgeStore

/// The window a start takes from the database: the ticks the last run stored just before it
/// stopped, so that a restart (an upgrade, a crash that systemd restarts, a key that applies
/// only at start) predicts from its first tick instead of warming up for a whole window, blind
/// to a sale that starts meanwhile.
///
/// Taken only when those ticks are the recent past of this one: a run of stored ticks an
/// interval apart (`TickRun`, which also ends the run at a clock set back or a changed
/// interval), the newest at most `carryTicks` + 1 intervals before the start. The
/// ticks the restart skipped enter as missing rows, which the model's carry-forward covers.
/// The rows come back without labels; their windows reach online learning's memory by another
/// path, `StoredTicksRecall`, which reads the stored ticks whether or not the window resumes.
enum ResumedWindow {
    struct Outcome {
        var window: SampleWindow?
        /// What the log says.
        var message: String
        /// When the newest stored tick was taken, whether or not the window resumes.
        var newestStored: Double? = nil
        /// The stored ticks could not be read: a fault to warn of, not a first start.
        var unreadable = false
    }

    static func read(store path: String, schema: MetricSchema, capacity: Int, intervalSeconds: Double, now: Double,
                     carryTicks: Int = ModelInputWindow.defaultCarryTicks) -> Outcome {
        let rows: [(time: Double, values: [Double])]
        let stored: [String]
        do {
            let history = try SampleHistory(path: path)
            stored = history.metrics
            rows = try history.newest(capacity)
        } catch {
            return Outcome(window: nil, message: "the window starts empty: the stored ticks cannot be read (\(error))", unreadable: true)
        }
        // The newest run of ticks an interval apart.
        var start = rows.count - 1
        while start > 0 {
            guard TickRun.continues(gap: rows[start].time - rows[start - 1].time, intervalSeconds: intervalSeconds) else { break }
            start -= 1
        }
        guard let newest = rows.last else { return Outcome(window: nil, message: "the window starts empty: no tick stored yet") }
        let age = now - newest.time
        let skipped = max(0, Int((age / intervalSeconds).rounded()) - 1)
        guard age > 0, skipped <= carryTicks else {
            let when = age > 0 ? "\(AlertMessage.duration(age)) before this start" : "after this start's time (the clock was set back)"
            return Outcome(window: nil, message: "the window starts empty: the newest stored tick is from \(TickLine.rfc3339(newest.time)), \(when)",
                           newestStored: newest.time)
        }
        let columns = schema.names.map { stored.firstIndex(of: $0) }
        var window = SampleWindow(schema: schema, capacity: capacity)
        for row in rows[start...] {
            let values = columns.map { column in column.map { row.values[$0] } ?? .nan }
            window.append(Sample(timestamp: row.time, tick: 0, schema: schema, values: values))
        }
        for index in 0..<skipped {
            window.append(Sample(timestamp: newest.time + Double(index + 1) * intervalSeconds, tick: 0, schema: schema,
                                 values: [Double](repeating: .nan, count: schema.count)))
        }
        // The missing rows push the oldest stored ones out of a full window.
        let kept = max(0, min(rows.count - start, capacity - skipped))
        let gapText = skipped == 0 ? "" : ", and \(skipped) missing for the ticks the restart skipped"
        let ago = age < 1 ? "under a second" : AlertMessage.duration(age)
        return Outcome(window: window, message: "the window resumes with \(kept) ticks stored up to \(TickLine.rfc3339(newest.time)) (\(ago) before this start)\(gapText)",
                       newestStored: newest.time)
    }
}
