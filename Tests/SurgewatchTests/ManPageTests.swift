import Foundation
import Testing
import SurgeJournal

/// docs/surgewatch.8, the manual `scripts/install` installs and the unit's Documentation= names:
/// it must keep up with the command line it documents, and render without groff's warnings.
@Suite struct ManPageTests {
    static let page = DaemonProcess.repository + "/docs/surgewatch.8"

    /// The page's text with roff's escaped hyphens as plain ones, split at each section
    /// (`.SH`) and subsection (`.SS`): the heading's words, and the lines under it.
    static func sections() throws -> [(heading: String, text: String)] {
        let source = try String(contentsOfFile: page, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        var sections: [(heading: String, text: String)] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(".SH ") || line.hasPrefix(".SS ") {
                sections.append((String(line.dropFirst(4)).replacingOccurrences(of: "\"", with: ""), ""))
            } else if !sections.isEmpty {
                sections[sections.count - 1].text += line + "\n"
            }
        }
        return sections
    }

    /// Every subcommand and every option `surgewatch --help` shows has its place in the page:
    /// each subcommand a subsection of COMMANDS that names each of its options; the options
    /// that find the database (`--config`, `--db`, `--state-dir` of alerts, export and forget)
    /// are said once, in the SYNOPSIS.
    @Test func everySubcommandAndOptionIsDocumented() throws {
        let (code, out) = try runTool(DaemonProcess.binary, ["--experimental-dump-help"])
        #expect(code == 0)
        let help = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let root = try #require(help["command"] as? [String: Any])
        let subcommands = try #require(root["subcommands"] as? [[String: Any]])
        let sections = try Self.sections()
        let synopsis = try #require(sections.first { $0.heading == "SYNOPSIS" }).text
        let databaseOptions: Set = ["config", "db", "state-dir"]
        for option in databaseOptions {
            #expect(synopsis.contains(".B --\(option)\n"), "the SYNOPSIS says how --\(option) finds the database")
        }
        var checked = 0
        for subcommand in subcommands {
            let name = try #require(subcommand["commandName"] as? String)
            guard name != "help" else { continue }
            #expect(synopsis.contains("surgewatch \(name)"), "SYNOPSIS lacks surgewatch \(name)")
            let section = sections.first { $0.heading.hasPrefix("surgewatch \(name)") }
            #expect(section != nil, "no subsection for surgewatch \(name)")
            let readsDatabase = (subcommand["arguments"] as? [[String: Any]] ?? []).contains { argument in
                (argument["preferredName"] as? [String: Any])?["name"] as? String == "db"
            }
            for argument in subcommand["arguments"] as? [[String: Any]] ?? [] {
                guard argument["shouldDisplay"] as? Bool != false, argument["kind"] as? String != "positional",
                      let option = (argument["preferredName"] as? [String: Any])?["name"] as? String,
                      !["help", "version"].contains(option) else { continue }
                if readsDatabase && databaseOptions.contains(option) { continue }
                #expect(Self.names(section?.text ?? "", option: option), "surgewatch \(name) --\(option) is not in its subsection of the manual")
                checked += 1
            }
        }
        #expect(checked > 50, "the options were read from --experimental-dump-help: \(checked)")
    }

    /// Whether `text` names `--option` whole: not as the start of a longer option
    /// (`--seed` in `--seeds`).
    static func names(_ text: String, option: String) -> Bool {
        var rest = Substring(text)
        while let found = rest.range(of: "--" + option) {
            let next = rest[found.upperBound...].first
            if next.map({ !$0.isLetter && !$0.isNumber && $0 != "-" }) ?? true { return true }
            rest = rest[found.upperBound...]
        }
        return false
    }

    /// groff's warnings (-ww) point at markup that renders wrong; the page has none.
    @Test func groffRendersItWithoutWarnings() throws {
        let (code, output) = try runTool("/usr/bin/groff", ["-man", "-ww", "-z", "-t", Self.page])
        #expect(code == 0 && output.isEmpty, "\(output)")
        // And it is the manual: man renders its NAME line from the file.
        let (rendered, text) = try runTool("/usr/bin/man", ["-l", Self.page], environment: ["MANWIDTH": "100", "MAN_KEEP_FORMATTING": ""])
        #expect(rendered == 0 && text.contains("surgewatch - predict flash-sale overload before it breaks the shop's SLO"), "\(text.prefix(400))")
    }

    /// Every MESSAGE_ID the daemon and its commands send is in JOURNAL FIELDS, since the
    /// catalog's entries send readers there.
    @Test func everyMessageIDIsInTheJournalFields() throws {
        let fields = try #require(try Self.sections().first { $0.heading == "JOURNAL FIELDS" }).text
        for id in [JournalAlertSink.MessageID.predictedFired, JournalAlertSink.MessageID.breachedFired, JournalAlertSink.MessageID.resolved,
                   JournalLogHandler.MessageID.databaseSetAside, JournalLogHandler.MessageID.spanForgotten] {
            #expect(fields.contains(id), "\(id) is not in the manual's JOURNAL FIELDS")
        }
    }

    /// `surgewatch --help` points at the manual.
    @Test func theHelpNamesTheManual() throws {
        let (code, out) = try runTool(DaemonProcess.binary, ["--help"])
        #expect(code == 0 && out.contains("The manual: man surgewatch"), "\(out)")
    }

    /// The version in the page's title line is the binary's.
    @Test func theTitleNamesThisVersion() throws {
        let (code, version, _) = try DaemonProcess.run(["--version"])
        #expect(code == 0)
        let title = try #require(try String(contentsOfFile: Self.page, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix(".TH ") })
        #expect(title.contains("\"surgewatch \(version.trimmingCharacters(in: .whitespacesAndNewlines))\""), "\(title)")
    }
}
