import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeJournal
import SurgeSampling
import SurgeStore

/// The daemon's stored samples as a trace CSV, so the host's own history can be replayed
/// (`replay --policy-grid` to tune `[alert]`, `--baselines-from`) or trained on (`train`, then
/// `model.path`). Safe while the daemon runs: a read-only connection.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the samples the daemon stored as a trace CSV (for replay and train). Safe while the daemon runs.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var span: HistorySpan

    @Option(help: "The trace CSV to write; - writes standard output.", completion: .file())
    var output: String

    func run() throws {
        let path = try database.path()
        let (cutoff, end) = try span.bounds(now: HistorySpan.now())
        try reportingFailures {
            let history: SampleHistory
            do {
                history = try SampleHistory(path: path)
            } catch {
                throw ToolFailure("\(error)")
            }
            var rows = 0
            var steps = ClockStepsBack()
            var gaps = TraceGaps(tickSeconds: try history.medianSpacing(since: cutoff) ?? 0)
            let empty = [Double](repeating: .nan, count: history.metrics.count)
            try FileAccess.write(to: output) { emit in
                var out = TraceCSV.header(history.metrics)
                var previous: Double?
                // Out in pieces of about 64 KiB: a month of ticks never sits in memory whole.
                func emitWhenFull() throws {
                    if out.count >= 1 << 16 {
                        try emit(out)
                        out.removeAll(keepingCapacity: true)
                    }
                }
                steps = try history.forEach(since: cutoff, until: end) { time, values in
                    // An outage becomes the ticks it cost, with every value missing.
                    for missing in previous.map({ gaps.missingTicks(from: $0, to: time) }) ?? [] {
                        TraceCSV.appendRow(to: &out, timestamp: missing, values: empty, number: NumberText.exact)
                        try emitWhenFull()
                    }
                    previous = time
                    TraceCSV.appendRow(to: &out, timestamp: time, values: values, number: NumberText.exact)
                    rows += 1
                    try emitWhenFull()
                }
                try emit(out)
            }
            writeAll("\(FileAccess.name(output, writing: true)): \(NumberText.counted(rows, "sample")), \(NumberText.counted(history.metrics.count, "metric"))\n", to: STDERR_FILENO)
            if gaps.outages > 0 {
                writeAll("note: \(gaps.ticks) empty rows where no tick was stored, over \(NumberText.counted(gaps.outages, "outage")) "
                         + "(the longest \(DurationText.format(seconds: gaps.longest))): the daemon was stopped or stalled; "
                         + "replay and train read them as missing values, as the daemon had them, not the ticks either side as neighbours\n", to: STDERR_FILENO)
            }
            if gaps.shortened > 0 {
                writeAll("note: \(gaps.shortened) outage\(gaps.shortened == 1 ? " was" : "s were") longer than \(TraceGaps.longestFill) ticks and "
                         + "filled with the first \(TraceGaps.longestFill) only (more than any window or horizon reaches)\n", to: STDERR_FILENO)
            }
            if let first = steps.first {
                writeAll("note: \(steps.skipped) samples left out where the wall clock had been set back (the first at \(TickLine.rfc3339(first.skipped)), after one of \(TickLine.rfc3339(first.kept))): a trace's rows must be in time order\n", to: STDERR_FILENO)
            }
        }
    }
}
