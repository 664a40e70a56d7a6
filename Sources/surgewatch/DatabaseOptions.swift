import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeJournal

/// Where the commands that read the daemon's database (`alerts`, `export`) find it: the file
/// itself, or the config's store.path inside the state directory.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Find the database through this config file (its store.path).")
    var config: String?

    @Option(help: "The database file itself.")
    var db: String?

    @Option(help: "The state directory relative store paths live in (default: $STATE_DIRECTORY, else /var/lib/surgewatch).")
    var stateDir: String?

    func validate() throws {
        if config != nil && db != nil { throw ValidationError("give --config or --db, not both") }
    }

    /// The database path; a config that does not load is said on stderr (exit 1).
    func path() throws -> String {
        if let db { return db }
        do {
            let loaded = try ConfigLoader.load(path: config ?? ConfigLoader.defaultPath)
            return StateDirectory.file(loaded.store.path, in: StateDirectory.resolve(override: stateDir))
        } catch {
            writeAll(error.description + "\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
    }

    /// The config the database belongs to, for figures that depend on it (`alerts --record`):
    /// the one `--config` names or the default path's; with `--db`, the built-in defaults.
    func loadedConfig() throws -> SurgeConfig {
        if db != nil { return SurgeConfig() }
        do {
            return try ConfigLoader.load(path: config ?? ConfigLoader.defaultPath)
        } catch {
            writeAll(error.description + "\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
    }

    /// The Unix time a `--since DURATION` option reaches back to from `now` (nil: no option).
    static func cutoff(since: String?, now: Double) throws -> Double? {
        guard let since else { return nil }
        guard let duration = DurationText.parse(since) else {
            throw ValidationError("--since: expected a duration such as 2h or 30d, got \(since)")
        }
        return now - duration.seconds
    }
}
