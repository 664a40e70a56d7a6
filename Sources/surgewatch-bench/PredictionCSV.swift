import SurgeConfig
import SurgeDetection
#if canImport(Glibc)
import Glibc
#endif

/// A prediction CSV (CONTRACTS.md: timestamp,probability,alerting,label) as the probabilities
/// and labels to score; `alerting` is left out, as every policy recomputes it.
enum PredictionCSV {
    static func series(_ path: String) throws -> PolicyGrid.Series {
        let table: Trace
        do {
            table = try TraceCSV.parse(OracleBench.read(path), path: path)
        } catch let error as TraceError {
            throw OracleFailure(description: error.description)
        }
        guard let probability = table.column("probability"), let label = table.column("label") else {
            throw OracleFailure(description: "\(path): expected the columns timestamp,probability,alerting,label")
        }
        // An empty cell reads as NaN: no prediction yet, or a label not known.
        return PolicyGrid.Series(timestamps: table.timestamps, labels: label.map { $0.isFinite ? $0 >= 0.5 : nil },
                                 probabilities: probability.map { $0.isFinite ? $0 : nil })
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The `[schedule]` of the config a row was replayed with (DIR/ROW-LEARNING.toml, which
    /// scripts/evaluate writes beside the prediction CSV): its `fire_when` level and the
    /// window's `fire_probability`; nil where there is no such file.
    /// `series(path)`, with the ticks where the SLO rule was one tick from holding read from the
    /// row's trace when `config` fires there (`[alert] fire_on_pending_probability`), so that
    /// its policy is scored as `replay` scored it; without them that tier never fires.
    static func series(_ path: String, pendingUnder config: SurgeConfig, directory: String, row: String) throws -> PolicyGrid.Series {
        let plain = try series(path)
        guard config.alert.firePendingProbability < 1 else { return plain }
        return try withColumns(plain, of: config.overload.metrics, directory: directory, row: row, readFor: "the [overload] rule").markingPending(config.overload)
    }

    static func replayedSchedule(in directory: String, row: String, learning: String) throws -> SurgeConfig.Schedule? {
        let path = "\(directory)/\(row)-\(learning).toml"
        guard exists(path) else { return nil }
        do {
            return try ConfigLoader.load(path: path).schedule
        } catch {
            throw OracleFailure(description: "\(error)")
        }
    }

    /// `series` with the columns `metrics` of the row's trace (DIR/TRACE-eval.csv, the row's name
    /// without "shop-slo-"), row for row, for the level's ticks.
    static func withColumns(_ series: PolicyGrid.Series, of metrics: [String], directory: String, row: String,
                            readFor reader: String = "fire_when") throws -> PolicyGrid.Series {
        guard !metrics.isEmpty else { return series }
        let path = "\(directory)/\(row.hasPrefix("shop-slo-") ? String(row.dropFirst("shop-slo-".count)) : row)-eval.csv"
        let trace: Trace
        do {
            trace = try TraceCSV.parse(OracleBench.read(path), path: path)
        } catch let error as TraceError {
            throw OracleFailure(description: error.description)
        }
        guard trace.timestamps == series.timestamps else {
            throw OracleFailure(description: "\(path): its timestamps are not those of the row's prediction CSV")
        }
        var copy = series
        for metric in metrics {
            guard let column = trace.column(metric) else { throw OracleFailure(description: "\(path): no column '\(metric)', which \(reader) reads") }
            copy.columns[metric] = column
        }
        return copy
    }

    /// The sales `simulate --sales-output` listed in DIR/flash-sales.txt (one RFC 3339 time a
    /// line), with `schedule`'s lead and threshold; nil when the directory has no such file.
    static func sales(in directory: String, like schedule: SurgeConfig.Schedule) throws -> SurgeConfig.Schedule? {
        let path = directory + "/flash-sales.txt"
        guard exists(path) else { return nil }
        var announced = schedule
        // Blank lines are skipped, not dropped before counting, so an error names the file's own line.
        let lines = String(decoding: try OracleBench.read(path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        announced.sales = try lines.enumerated().filter { !$0.element.isEmpty }.map { line, text in
            guard let sale = SaleTime.parse(String(text)) else {
                throw OracleFailure(description: "\(path):\(line + 1): expected an RFC 3339 time, got \"\(text)\"")
            }
            return sale
        }
        return announced
    }
}
