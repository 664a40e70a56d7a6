import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeJournal
import SurgeDetection
import SurgeSampling
import SurgeStore

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List alerts from the database, newest first. Safe while the daemon runs.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var span: HistorySpan

    @Flag(help: "One JSON array instead of a table.")
    var json = false

    @Flag(help: ArgumentHelp("How the alerts served this host: overload episodes warned early, missed, false alarms (each with how near the SLO rule came), how near the rule's own metrics ran to their limits and, with announced sales, how each went; from what the daemon stored each tick.",
                             discussion: "Scored as replay scores a trace, with the config's tick length (the stored ticks' when longer), horizon and resolve_after (with --db: the tick length the stored ticks show, the horizon the newest alert names, the built-in defaults otherwise)."))
    var record = false

    @Flag(help: ArgumentHelp("With --record: replay a grid of [alert] policies on the stored probabilities and print the best ones for this host.",
                             discussion: "In hindsight, on this host's own history: where to set fire_probability and fire_after here."))
    var policyGrid = false

    func validate() throws {
        if policyGrid && !record { throw ValidationError("--policy-grid goes with --record") }
    }

    func run() throws {
        let (path, config) = try database.resolve()
        let now = HistorySpan.now()
        let (cutoff, end) = try span.bounds(now: now)
        if record {
            let report: HostRecordReport
            do {
                // With --db there is no config: the tick length and horizon come from the database.
                let stored = try database.db.map { _ in try StoredSettings.config(forStoreAt: path) }
                report = try HostRecordReport(path: path, since: cutoff, until: end, config: stored?.config ?? config, policyGrid: policyGrid,
                                              assumed: stored?.note)
            } catch {
                writeAll("surgewatch alerts: \(toolMessage(error))\n", to: STDERR_FILENO)
                throw ExitCode(1)
            }
            print(json ? report.json() : report.text(), terminator: "")
            return
        }
        let alerts: [AlertRecord]
        do {
            alerts = try AlertHistory(path: path).alerts(since: cutoff).filter { alert in end.map { alert.firedAt <= $0 } ?? true }
        } catch {
            writeAll("surgewatch alerts: \(toolMessage(error))\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        print(json ? AlertListing.json(alerts) : AlertListing.table(alerts, now: now), terminator: json ? "\n" : "")
    }
}

/// How `surgewatch alerts` shows alert rows.
enum AlertListing {
    static func json(_ alerts: [AlertRecord]) -> String {
        "[" + alerts.map { alert in
            "{\"id\":\(JSONText.string(alert.id)),\"kind\":\(JSONText.string(alert.kind.rawValue)),"
                + "\"fired_at\":\(JSONText.string(TickLine.rfc3339(alert.firedAt))),"
                + "\"escalated_at\":\(alert.escalatedAt.map { JSONText.string(TickLine.rfc3339($0)) } ?? "null"),"
                + "\"resolved_at\":\(alert.resolvedAt.map { JSONText.string(TickLine.rfc3339($0)) } ?? "null"),"
                + "\"peak_probability\":\(JSONText.number(alert.peakProbability)),"
                + "\"horizon_seconds\":\(JSONText.number(alert.horizonSeconds)),"
                + "\"message\":\(JSONText.string(alert.message)),\"top_features\":\(alert.topFeaturesJSON),"
                + "\"note\":\(alert.note.map(JSONText.string) ?? "null")}"
        }.joined(separator: ",") + "]"
    }

    static func table(_ alerts: [AlertRecord], now: Double) -> String {
        guard !alerts.isEmpty else { return "no alerts\n" }
        // In the host's zone, as the journal shows its lines; named in the header, or beside
        // each time when the offsets differ (a daylight-saving change within the list).
        let fired = alerts.map { LocalClockText.dateAndTime($0.firedAt) }
        let oneZone = Set(fired.map(\.offset)).count == 1
        let header = ["KIND", oneZone ? "FIRED (\(LocalClockText.zone(offset: fired[0].offset)))" : "FIRED", "RESOLVED / DURATION", "PEAK P", "MESSAGE"]
        let rows = zip(alerts, fired).map { alert, fired -> [String] in
            let resolved: String
            if let end = alert.resolvedAt {
                resolved = "\(LocalClockText.dateAndTime(end).text.dropFirst(11)) / \(AlertMessage.duration(end - alert.firedAt))"
            } else {
                resolved = "open for \(AlertMessage.duration(now - alert.firedAt))"
            }
            let kind = alert.escalatedAt != nil ? "predicted>breached" : alert.kind.rawValue
            let firedText = oneZone ? fired.text : fired.text + " " + LocalClockText.zone(offset: fired.offset)
            var message = alert.message
            if let note = alert.note { message += " [\(note)]" }
            return [kind, firedText, resolved, AlertMessage.fixed(alert.peakProbability, 2), message]
        }
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
