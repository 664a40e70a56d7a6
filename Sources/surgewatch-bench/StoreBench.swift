import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeJournal
import SurgeSampling
import SurgeStore

/// What one tick costs the daemon in writes: its sample (the 27 host metrics, read live from
/// /proc so values look real) and prediction committed to SQLite in one transaction, retention
/// checked, and every `alertEvery` ticks an alert event (fired, then resolved) to SQLite and
/// journald. Also the database's size per simulated day of 10 s ticks.
struct StoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Per-tick cost of SQLite and journald writes, and database growth per day.")

    @Option(help: "Ticks to write (8640 = one day at 10 s).")
    var ticks = 8640

    @Option(help: "An alert event every this many ticks.")
    var alertEvery = 100

    @Option(help: "Directory for the scratch database.")
    var directory = "/tmp"

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let path = "\(directory)/surgewatch-bench-\(getpid()).db"
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let store = try SurgeStore(path: path)
        let journalUp = JournalEntry.isAvailable()
        let journal = JournalAlertSink(identifier: "surgewatch-bench")
        let schema = MetricSchema(HostMetric.names)
        var sampler = HostSampler()
        var tickTimes: [Double] = [], alertTickTimes: [Double] = [], journalTimes: [Double] = []
        let start = 1_700_000_000.0
        var openAlert: String?
        for tick in 1...ticks {
            let time = start + Double(tick) * 10
            let reading = sampler.read(monotonicSeconds: wallMicroseconds() / 1e6)
            let sample = Sample(timestamp: time, tick: tick, schema: schema, values: reading.values)
            var event: AlertEvent?
            if tick % alertEvery == 0 {
                if let id = openAlert {
                    event = AlertEvent(alertID: id, event: .resolved, kind: .predicted, at: time, probability: 0.3,
                                       peakProbability: 0.92, horizonSeconds: 30, firedAt: time - Double(alertEvery) * 10)
                    openAlert = nil
                } else {
                    let id = AlertEvent.newID()
                    event = AlertEvent(alertID: id, event: .fired, kind: .predicted, at: time, probability: 0.91,
                                       peakProbability: 0.91, horizonSeconds: 30,
                                       topFeatures: [.init(name: "tcp_listen_overflows_per_s", baseline: 0, recent: 412),
                                                     .init(name: "psi_cpu_some_avg10", baseline: 8, recent: 61)])
                    openAlert = id
                }
            }
            let began = wallMicroseconds()
            store.stage(sample)
            store.stage(PredictionRecord(timestamp: time, tick: tick, probability: 0.05, state: "normal", label: false))
            if let event { try SQLiteAlertSink(store: store).deliver(event) }
            try store.commit()
            try store.prune(olderThan: time - 30 * 86400)
            let committed = wallMicroseconds()
            if let event, journalUp {
                try journal.deliver(event)
                journalTimes.append(wallMicroseconds() - committed)
            }
            let total = wallMicroseconds() - began
            if event != nil { alertTickTimes.append(total) } else { tickTimes.append(total) }
        }
        _ = try store.rows("PRAGMA wal_checkpoint(TRUNCATE)")
        let pages = try store.rows("PRAGMA page_count").first?.first?.integer ?? 0
        let pageSize = try store.rows("PRAGMA page_size").first?.first?.integer ?? 0
        let bytes = Double(pages * pageSize)
        let perDay = bytes / Double(ticks) * 8640
        // A start reads the newest window of ticks back (ResumedWindow): its own connection,
        // the columns, and 30 rows from the end of the table, however long the table is.
        var resumeTimes: [Double] = []
        for _ in 0..<21 {
            let began = wallMicroseconds()
            _ = try SampleHistory(path: path).newest(30)
            resumeTimes.append(wallMicroseconds() - began)
        }
        let resume = Summary(resumeTimes)
        // A start (and a reload) gives online learning back its memory from the stored ticks
        // (StoredTicksRecall): the newest 30 days at most, the default config's windows and rule.
        var recallTimes: [Double] = []
        var recalled: StoredTicksRecall.Outcome?
        for _ in 0..<5 {
            let config = SurgeConfig()
            let settings = DetectionPipeline<TraceClock>.Settings(config: config, tickSeconds: 10, untrained: false)
            let pipeline = try DetectionPipeline(settings: settings, schema: schema, model: ModelCatalog.fresh(config), clock: TraceClock())
            let began = wallMicroseconds()
            recalled = StoredTicksRecall.run(pipeline: pipeline, store: path, intervalSeconds: 10)
            recallTimes.append(wallMicroseconds() - began)
        }
        let recall = Summary(recallTimes)
        // A start opens the file as the daemon does (its pragmas, the schema, and SQLite's check
        // of every page that finds a damaged file), beside the store this run still holds open;
        // and the check alone on a connection of its own, to say what share of the open it is.
        var openTimes: [Double] = [], checkTimes: [Double] = []
        for _ in 0..<5 {
            var began = wallMicroseconds()
            _ = try SurgeStore(path: path, waitingForTheFile: true, settingAsideDamage: true)
            openTimes.append(wallMicroseconds() - began)
            let database = try SQLiteDatabase(path: path, mode: .readOnly)
            began = wallMicroseconds()
            _ = try database.rows("PRAGMA quick_check(3)")
            checkTimes.append(wallMicroseconds() - began)
        }
        let open = Summary(openTimes), check = Summary(checkTimes)
        // After the size: the record is one row whatever the days, not growth per day.
        let refereeSaves = try Self.refereeRecordSaves(store, at: start + Double(ticks) * 10)
        let tick = Summary(tickTimes), alertTick = Summary(alertTickTimes.isEmpty ? [0] : alertTickTimes)
        let journalSummary = Summary(journalTimes.isEmpty ? [0] : journalTimes)
        if json {
            print("""
            {"bench":"store","ticks":\(ticks),"metrics":\(schema.count),\
            "tick_us_median":\(format(tick.median)),"tick_us_p99":\(format(tick.p99)),\
            "alert_tick_us_median":\(format(alertTick.median)),"alert_tick_us_p99":\(format(alertTick.p99)),\
            "journald_available":\(journalUp),"journald_us_median":\(format(journalSummary.median)),"journald_us_p99":\(format(journalSummary.p99)),\
            "resume_window_read_us_median":\(format(resume.median)),\
            "open_ms_median":\(format(open.median / 1000)),"page_check_ms_median":\(format(check.median / 1000)),\
            "recall_ticks":\(recalled?.ticks ?? 0),"recall_ms_median":\(format(recall.median / 1000)),\
            "referee_record_bytes":\(refereeSaves.bytes),"referee_record_save_us_median":\(format(refereeSaves.times.median)),"referee_record_save_us_p99":\(format(refereeSaves.times.p99)),\
            "db_bytes":\(Int(bytes)),"mib_per_day":\(format(perDay / 1_048_576)),"mib_per_year":\(format(perDay * 365 / 1_048_576))}
            """)
        } else {
            print("store: \(ticks) ticks of \(schema.count) metrics + a prediction, an alert event every \(alertEvery) ticks")
            print("  tick (sample + prediction, one transaction, retention): median \(format(tick.median)) µs, p99 \(format(tick.p99)) µs")
            print("  tick with an alert event (+ SQLite alert row\(journalUp ? " + journald entry" : "; journald not running")): median \(format(alertTick.median)) µs, p99 \(format(alertTick.p99)) µs")
            if journalUp { print("  journald entry alone: median \(format(journalSummary.median)) µs, p99 \(format(journalSummary.p99)) µs") }
            print("  a start reading the newest 30 ticks back (the resumed window): median \(format(resume.median)) µs of 21")
            print("  a start opening the file (pragmas, schema, every page checked): median \(format(open.median / 1000)) ms of 5, the check alone \(format(check.median / 1000)) ms")
            print("  a start recalling online learning's memory from \(recalled?.ticks ?? 0) stored ticks: median \(format(recall.median / 1000)) ms of 5")
            print("  the weights referee's record (\(refereeSaves.bytes) bytes, saved hourly): median \(format(refereeSaves.times.median)) µs, p99 \(format(refereeSaves.times.p99)) µs")
            print("  database: \(Int(bytes)) bytes = \(format(perDay / 1_048_576)) MiB per day of 10 s ticks, \(format(perDay * 365 / 1_048_576)) MiB per year")
        }
    }

    /// The daemon saves the referee's full record (3 days of ticks) once an hour: a day's 24
    /// saves of one, each replacing the last, timed on the wall clock as the tick sees them.
    static func refereeRecordSaves(_ store: SurgeStore, at time: Double) throws -> (bytes: Int, times: Summary) {
        var referee = WeightsReferee(alert: AlertPolicy(), horizon: 3)
        for tick in 0..<referee.policy.recordTicks {
            _ = referee.observe(timestamp: Double(tick) * 10, trained: tick % 50 > 40 ? 0.9 : 0.1,
                                learned: tick % 50 > 38 ? 0.9 : 0.1, label: tick % 50 > 42, holding: false)
        }
        let record = referee.encodedRecord()
        let times = try (0..<24).map { hour in
            let began = wallMicroseconds()
            try store.saveRefereeRecord(record, ticks: referee.recordCount, context: "bench", at: time + Double(hour) * 3600)
            return wallMicroseconds() - began
        }
        return (record.count, Summary(times))
    }
}
