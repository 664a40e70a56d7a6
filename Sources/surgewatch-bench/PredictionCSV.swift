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
}
