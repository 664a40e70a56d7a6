import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeDetection
import SurgeJournal
import SurgeSampling
import SurgeSimulation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the daemon's pipeline over a trace CSV in trace time; write timestamp,probability,alerting,label per row and print how it did.")

    @Option(help: "The config file (its features, rule, window, alert and learning settings).", completion: .file())
    var config = ConfigLoader.defaultPath

    @Option(help: "The trace CSV (timestamp, then one column per metric); - reads standard input.", completion: .file())
    var input: String

    @Option(help: "The prediction CSV to write; - writes standard output (the summary then goes to stderr).", completion: .file())
    var output: String

    @Option(help: "Start from this model file instead of the config's or the built-in one.", completion: .file())
    var model: String?

    @Flag(help: "Do not learn online while replaying.")
    var noLearn = false

    @Option(help: "Seed of online learning's draws and the alert ids.")
    var seed: UInt64 = 1

    @Option(help: "Also write the summary as JSON to this file.", completion: .file())
    var summaryJson: String?

    @Option(help: "Write the model as it ended (after online learning) to this file.", completion: .file())
    var saveModel: String?

    @Option(help: "Also choose each baseline's setting on this earlier trace (e.g. the training trace) and score that choice here: what an operator could have set in advance.", completion: .file())
    var baselinesFrom: String?

    @Flag(help: "Also score surgewatch's probabilities under a grid of [alert] policies and print the best ones for this trace (hindsight: a starting point for tuning on your own traces).")
    var policyGrid = false

    @Option(help: "Also write each alert event as the daemon would send it to journald: one JSON object a line, with the fields `journalctl -o json` shows (__REALTIME_TIMESTAMP in the trace's time); - writes standard output.", completion: .file())
    var alerts: String?

    @Option(help: "2: with --no-learn, predict the trace's later part ahead on a second thread; with learning, run each mini-batch's two halves side by side. 1 does neither. The output is the same.")
    var threads = 2

    func run() throws {
        try reportingFailures {
            guard threads == 1 || threads == 2 else { throw ToolFailure("--threads must be 1 or 2, not \(threads)") }
            if alerts == FileAccess.standardStream && output == FileAccess.standardStream {
                throw ToolFailure("--alerts and --output cannot both write standard output")
            }
            let inputName = FileAccess.name(input)
            let trace = try TraceCSV.parse(FileAccess.read(input), path: inputName)
            // An empty trace (an export of an empty database, a cut gone wrong) would "score" 0
            // episodes and choose baselines on nothing; say so instead.
            guard trace.count > 0 else { throw ToolFailure("\(inputName): no rows after the header, nothing to replay") }
            var settingsConfig = try ConfigLoader.load(path: config, metrics: MetricsOrigin(names: trace.schema.names, place: "the trace \(inputName)"))
            if noLearn { settingsConfig.learning.online = false }
            let tuning = try baselinesFrom.map { path in
                let earlier = try TraceCSV.parse(FileAccess.read(path), path: path)
                guard earlier.count > 0 else { throw ToolFailure("\(path): no rows after the header, no baseline setting to choose") }
                let rule = settingsConfig.overload
                if let absent = (rule.any + rule.all).map(\.metric).first(where: { earlier.schema.index(of: $0) == nil }) {
                    throw ToolFailure("\(path): no column '\(absent)', which the [overload] rule reads")
                }
                return Baselines.Tuning(name: path, trace: earlier, overload: rule)
            }
            let source = try ModelSource.choose(config: settingsConfig, explicitPath: model,
                                                stateDirectory: StateDirectory.resolve(override: nil))
            // A fresh model (no model file or built-in model fits the config) replays as the
            // daemon runs it: every layer learns, at its own rate, and p is withheld until the
            // guard has scored the weights once.
            let settings = DetectionPipeline<TraceClock>.Settings(config: settingsConfig, tickSeconds: trace.tickSeconds,
                                                                  untrained: source.untrained)
            let result = try ReplayRunner.run(trace: trace, settings: settings, model: source.model, seed: seed,
                                              parallel: threads == 2)
            try FileAccess.write(PredictionCSV.render(trace: trace, result: result), to: output)
            if let saveModel { try FileAccess.write(result.model.encoded(), to: saveModel) }
            if let alerts {
                try FileAccess.write(ReplayAlertLines.render(result.events, identifier: settingsConfig.journal.identifier), to: alerts)
            }

            // The summary goes where the predictions and alerts do not: to stderr when either went to stdout.
            let stdoutTaken = alerts == FileAccess.standardStream ? FileAccess.standardStream : output
            let say = { (line: String) in FileAccess.report(line, besides: stdoutTaken) }
            let summary = ReplaySummary(trace: trace, result: result, config: settingsConfig, tuning: tuning)
            say("replay of \(inputName) with \(source.origin), online learning \(settings.onlineLearningText)")
            if let caution = ModelCatalog.tickCaution(source.model, tickSeconds: trace.tickSeconds, here: "the trace's ticks are") {
                writeAll("warning: \(caution)\n", to: STDERR_FILENO)
            }
            for caution in settingsConfig.conditionCautions { writeAll("warning: \(caution)\n", to: STDERR_FILENO) }
            say(summary.text(input: inputName))
            // With sales announced, how each went, as `alerts --record` says it of the host.
            var sales = SaleOutcomes(settingsConfig.schedule, intervalSeconds: trace.tickSeconds)
            for row in 0..<trace.count {
                sales.add(timestamp: trace.timestamps[row], label: result.labels[row], alerting: result.alerting[row])
            }
            for line in sales.lines() { say(line) }
            // The false alarms one by one, with how near the rule came, as `alerts --record` lists them.
            let quiet = QuietAlertList(trace: trace, labels: result.labels, alerting: result.alerting, probabilities: result.probabilities,
                                       overload: settingsConfig.overload, horizon: settingsConfig.model.horizonTicks,
                                       falseAlarms: summary.rows[0].score.falseAlarms)
            for line in quiet.lines(everyOne: "--alerts has every one's resolved entry") { say(line) }
            if policyGrid {
                if let caution = PolicyGrid.thinCaution(summary.rows[0].score, saying: "too short a trace") { say(caution) }
                say("surgewatch under other alert policies (chosen on this trace, in hindsight):")
                // With the trace's columns that the hold search and `[schedule] fire_when` read,
                // so the config's own policy is scored as replay ran it.
                let series = HoldSearch.series(trace: trace, labels: result.labels, probabilities: result.probabilities, config: settingsConfig)
                let lines = PolicyGrid.report(series: [series], config: settingsConfig)
                for line in lines { say("  " + line) }
                let holds = HoldSearch.report(series: [series], config: settingsConfig)
                if !holds.isEmpty {
                    say("[alert] hold levels at this trace's quantiles of each feature with the config's policy, then the settings suggested for [alert] (in hindsight; choose on an earlier trace):")
                    for line in holds { say("  " + line) }
                }
                let atOnce = AtOnceLevelSearch.report(series: [series], config: settingsConfig)
                if !atOnce.isEmpty {
                    say(AtOnceLevelSearch.heading + " (in hindsight; choose on an earlier trace):")
                    for line in atOnce { say("  " + line) }
                }
                let pending = PendingLevelSearch.report(series: [series], config: settingsConfig)
                if !pending.isEmpty {
                    say(PendingLevelSearch.heading + " (in hindsight; choose on an earlier trace):")
                    for line in pending { say("  " + line) }
                }
                let levels = SaleLevelSearch.report(series: [series], config: settingsConfig)
                if !levels.isEmpty {
                    say("[schedule] fire_when levels between each feature's values on the tick before each announced sale, with the config's policy (in hindsight; choose on an earlier trace):")
                    for line in levels { say("  " + line) }
                }
            }
            if let summaryJson { try FileAccess.write(Array(summary.json(quietAlerts: quiet.json).utf8), to: summaryJson) }
        }
    }
}

/// The prediction CSV of CONTRACTS.md.
enum PredictionCSV {
    static func render(trace: Trace, result: ReplayResult) -> [UInt8] {
        var out = Array("timestamp,probability,alerting,label\n".utf8)
        for row in 0..<trace.count {
            out += Array(NumberText.exact(trace.timestamps[row]).utf8)
            out.append(UInt8(ascii: ","))
            if let p = result.probabilities[row] { out += Array(NumberText.fixed(p, decimals: 6).utf8) }
            out += Array((result.alerting[row] ? ",1," : ",0,").utf8)
            if let label = result.labels[row] { out.append(label ? UInt8(ascii: "1") : UInt8(ascii: "0")) }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
