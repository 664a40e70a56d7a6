import Foundation
import Testing

/// docs/OPERATING.md stays true as the code moves: its example config is valid and predicts with
/// the built-in model trained under its SLO, every `surgewatch` command in its shell blocks
/// names a subcommand and flags the binary has, and every README section it points to is a
/// heading there.
@Suite struct OperatingGuideTests {
    static let guide = DaemonProcess.repository + "/docs/OPERATING.md"

    @Test func theExampleConfigIsValidAndPredictsFromTheFirstWindow() throws {
        let example = DaemonProcess.repository + "/config/shop-example.toml"
        let (code, out, err) = try DaemonProcess.run(["check-config", example])
        #expect(code == 0, "\(err)")
        #expect(out.contains("\nmodel: the built-in model for a shop's SLO (window 30 ticks, horizon 3, ticks of 10s)\n"), "\(out)")
        // It was trained under the example's own SLO: no note about another rule.
        #expect(!out.contains("the built-in model was trained to predict the rule"), "\(out)")
        #expect(out.contains("\nschedule: 2 announced sales, the next at "), "\(out)")
        // No warning for the example itself (a kernel without PSI would add its own, about the
        // host, and a checkout made under umask 077 one about the copy's mode, 600 here).
        var info = stat()
        let checkoutOnly = stat(example, &info) == 0 && info.st_mode & S_IROTH == 0
        let warnings = err.split(separator: "\n").filter { !$0.contains("/pressure lacks them") && !(checkoutOnly && $0.hasPrefix("warning: \(example) is mode ")) }
        #expect(warnings.isEmpty, "no warning for the example: \(err)")
    }

    @Test func everyCommandNamesASubcommandAndFlagsTheBinaryHas() throws {
        let commands = try Self.shellLines().filter { $0.hasPrefix("surgewatch ") }
        #expect(commands.count >= 7, "\(commands)")
        for command in commands {
            let words = command.split(separator: " ").map(String.init)
            let (code, help, err) = try DaemonProcess.run([words[1], "--help"])
            #expect(code == 0 && help.contains("USAGE: surgewatch \(words[1])"), "\(command): \(err)")
            for flag in words.dropFirst(2) where flag.hasPrefix("--") {
                #expect(Self.mentions(help, flag), "\(command): `surgewatch \(words[1])` has no \(flag)")
            }
        }
        for script in try Self.shellLines().filter({ $0.hasPrefix("scripts/") }) {
            let path = DaemonProcess.repository + "/" + String(script.prefix { $0 != " " })
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(script)")
        }
    }

    @Test func everyReadmeSectionItNamesIsThere() throws {
        let guide = try String(contentsOfFile: Self.guide, encoding: .utf8)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
        let readme = try String(contentsOfFile: DaemonProcess.repository + "/README.md", encoding: .utf8)
        let headings = Set(readme.split(separator: "\n").filter { $0.hasPrefix("#") }
            .map { $0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces) })
        var named: [String] = []
        var rest = Substring(guide)
        while let start = rest.range(of: "README, \"") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            named.append(String(rest[..<end]))
            rest = rest[end...].dropFirst()
        }
        #expect(named.count >= 4, "\(named)")
        for section in named {
            #expect(headings.contains(section), "README has no section \"\(section)\"")
        }
    }

    /// The lines of the guide's ```sh blocks, comments cut off.
    static func shellLines() throws -> [String] {
        let text = try String(contentsOfFile: guide, encoding: .utf8)
        var lines: [String] = []
        var inShell = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inShell = !inShell && line == "```sh"
                continue
            }
            guard inShell else { continue }
            let command = line.components(separatedBy: " #").first!.trimmingCharacters(in: .whitespaces)
            if !command.isEmpty { lines.append(command) }
        }
        return lines
    }

    /// Whether `help` names `flag` as a whole word (`--record`, not as part of `--record-x`).
    static func mentions(_ help: String, _ flag: String) -> Bool {
        var rest = Substring(help)
        while let found = rest.range(of: flag) {
            let next = rest[found.upperBound...].first
            if next.map({ !($0.isLetter || $0.isNumber || $0 == "-") }) ?? true { return true }
            rest = rest[found.upperBound...]
        }
        return false
    }
}
