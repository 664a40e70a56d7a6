import ArgumentParser
import SurgeConfig
import SurgeDetection

/// The fire-policy table of BENCHMARKS.md ("Waiting longer before firing"): every policy of
/// `PolicyTable.fireGrid` scored at once on the rows of `scripts/evaluate`'s output, from the
/// prediction CSVs `replay` wrote (ROW-off.pred.csv or ROW-on.pred.csv in each directory), with
/// the product's state machine and EpisodeScore. Choose on validation directories, then score
/// the chosen policy once on the evaluation's. A row whose config fires a tick before its rule
/// holds (eval/alibaba.toml) reads the rule's metrics from its trace beside the predictions
/// (DIR/TRACE-eval.csv), as replay did.
struct PolicyTableBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policies",
        abstract: "One [alert] fire policy for every row of an evaluation: a grid scored on scripts/evaluate's prediction CSVs.")

    @Option(help: "Rows, as scripts/evaluate names them; a row's files are DIR/ROW-LEARNING.pred.csv.")
    var rows = "worldcup,flash,shop-slo-worldcup,shop-slo-flash,worldcup-w60,flash-w60"

    @Option(help: "Which replays: with online learning off or on.")
    var learning = "off"

    @Option(help: "Config of the host-rule rows; its [alert] is the policy scored first and sets the grid's resolve band.")
    var config = "config/surgewatch.toml"

    @Option(help: "Config of the shop-slo-* rows (its horizon and resolve run).")
    var shopSloConfig = "eval/shop-slo.toml"

    @Option(help: "Config of the alibaba row.")
    var alibabaConfig = "eval/alibaba.toml"

    @Option(help: "Show this many of the grid's policies with the best net.")
    var top = 5

    @Flag(help: ArgumentHelp("Score the flash rows without their sales announced.",
                             discussion: "By default a flash row's trace in a directory with flash-sales.txt (scripts/evaluate writes it) has those sales announced, with the [schedule] lead of --config and the window's fire_probability of the row's replayed config (DIR/ROW-LEARNING.toml, which scripts/evaluate writes; else --config's), as replay had them."))
    var noSchedule = false

    @Flag(help: ArgumentHelp("Score the flash rows without the [schedule] fire_when level replay had.",
                             discussion: "By default, where a row's replayed config (DIR/ROW-LEARNING.toml, which scripts/evaluate writes) sets fire_when, its metrics are read from the row's trace (DIR/TRACE-eval.csv) and the level is scored as replay scored it."))
    var noSaleLevel = false

    @Flag(help: "Instead of the report, a CSV of every policy of the grid on every row, to filter (e.g. fire_after = 2 only).")
    var csv = false

    @Argument(help: "Directories of scripts/evaluate's output (OUT, OUT/seed-1, ...).")
    var directories: [String]

    func validate() throws {
        guard ["off", "on"].contains(learning) else { throw ValidationError("--learning is off or on, not '\(learning)'") }
        guard !directories.isEmpty else { throw ValidationError("name at least one directory of scripts/evaluate's output") }
    }

    func run() throws {
        let host = try ConfigLoader.load(path: config)
        var table: [PolicyTable.Row] = []
        for name in rows.split(separator: ",").map(String.init) {
            let settings = name.hasPrefix("shop-slo-") ? try ConfigLoader.load(path: shopSloConfig)
                : name == "alibaba" ? try ConfigLoader.load(path: alibabaConfig) : host
            let paths = directories.map { "\($0)/\(name)-\(learning).pred.csv" }.filter(PredictionCSV.exists)
            guard !paths.isEmpty else {
                throw OracleFailure(description: "no \(name)-\(learning).pred.csv in \(directories.joined(separator: ", "))")
            }
            let series = try paths.map { path in
                let directory = String(path.prefix(upTo: path.lastIndex(of: "/") ?? path.startIndex))
                let series = try PredictionCSV.series(path, pendingUnder: settings, directory: directory, row: name)
                guard !noSchedule, name.contains("flash") else { return series }
                guard var schedule = try PredictionCSV.sales(in: directory, like: host.schedule) else { return series }
                let replayed = try PredictionCSV.replayedSchedule(in: directory, row: name, learning: learning)
                schedule.fireWhen = noSaleLevel ? [] : replayed?.fireWhen ?? []
                var marked = try PredictionCSV.withColumns(series, of: schedule.fireWhen.map(\.metric), directory: directory, row: name)
                    .announcing(schedule)
                // The window's threshold replay had (scripts/evaluate's flash rows set their own).
                marked.saleFireProbability = replayed?.fireProbability
                return marked
            }
            // A row whose config sets another [alert] (the shop's SLO rows: the shop model's own)
            // was replayed under it, and the config's line scores it so.
            var ownPolicy = settings.alert == host.alert ? nil : AlertPolicy(settings.alert)
            ownPolicy?.saleFireProbability = host.schedule.fireProbability
            table.append(PolicyTable.Row(name: name, series: series, horizon: settings.model.horizonTicks, mergeGap: settings.alert.resolveAfter,
                                         ownPolicy: ownPolicy))
        }
        var own = AlertPolicy(host.alert)
        // Where a row's series mark sales (above); nowhere else.
        own.saleFireProbability = host.schedule.fireProbability
        let grid = PolicyTable.fireGrid(host.alert, saleFireProbability: own.saleFireProbability)
        let scored = PolicyTable(rows: table, own: (PolicyTable.text(of: own), own), grid: grid)
        if csv {
            printCSV(scored)
            return
        }
        print("online learning \(learning), \(scored.rows.map { "\($0.name) \($0.series.count)" }.joined(separator: ", ")) traces; "
              + "\(grid.count) policies, each resolving below \(host.alert.resolveProbability) for \(host.alert.resolveAfter) ticks")
        if learning == "on" {
            // WeightsReferee scores the trained and learned weights under the config's policy.
            print("with learning on, which weights served each tick was decided under the config's policy: "
                  + "the grid's figures are as if it had chosen the same; replay with a policy to score it exactly")
        }
        show("the config's policy", scored.own, scored.rows)
        for (rank, entry) in scored.ranked().prefix(top).enumerated() {
            show("net #\(rank + 1)", entry, scored.rows)
        }
        let quiet = PolicyTable.meets(falseAlarmsPerDay: 1, warnedFraction: 0)
        if let entry = scored.best(worstRowOf: quiet) {
            show("most warned on its worst row, every row at <= 1 false alarm a day", entry, scored.rows)
        } else {
            print("no policy of the grid keeps every row at <= 1 false alarm a day")
        }
        let meeting = scored.ranked(PolicyTable.meets())
        if let entry = meeting.first {
            show("best net of the \(meeting.count) meeting the targets on every row (>= 70 % warned, <= 1 false alarm a day)",
                 entry, scored.rows)
        } else {
            print("no policy of the grid meets the targets on every row (>= 70 % warned, <= 1 false alarm a day)")
        }
    }

    private func printCSV(_ table: PolicyTable) {
        print("fire_probability,fire_after,fire_at_once_probability,fire_on_leap_probability,row,episodes,warned,early,false_alarms,days")
        for entry in table.entries.dropFirst() {
            let policy = entry.policy
            let settings = "\(policy.fireProbability),\(policy.fireAfter),\(policy.fireAtOnceProbability),\(policy.fireOnLeapProbability)"
            for (row, score) in zip(table.rows, entry.scores) {
                print("\(settings),\(row.name),\(score.episodes),\(score.warned),\(score.caughtEarly),\(score.falseAlarms),"
                      + NumberText.fixed(score.days, decimals: 4))
            }
        }
    }

    private func show(_ title: String, _ entry: PolicyTable.Entry, _ rows: [PolicyTable.Row]) {
        print("\n\(title): net \(entry.net)  [\(entry.text)]")
        let width = rows.map(\.name.count).max() ?? 0
        for (row, score) in zip(rows, entry.scores) {
            let percent = Int((score.warnedFraction * 100).rounded())
            let perDay = NumberText.fixed(score.falseAlarmsPerDay, decimals: 2)
            print("  \(row.name.padded(to: width))  \(score.warned)/\(score.episodes) warned (\(percent) %), "
                  + "\(score.caughtEarly) early, \(score.falseAlarms) false alarms = \(perDay)/day, net \(score.warned - score.falseAlarms)")
        }
    }
}
