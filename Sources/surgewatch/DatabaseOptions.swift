import ArgumentParser
import Glibc
import SurgeConfig
import SurgeDaemon
import SurgeJournal
import SurgeSampling

/// Where the commands that read the daemon's database (`alerts`, `export`) find it: the file
/// itself, or the config's store.path inside the state directory.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Find the database through this config file (its store.path).", completion: .file())
    var config: String?

    @Option(help: "The database file itself.", completion: .file())
    var db: String?

    @Option(help: "The state directory relative store paths live in (default: $STATE_DIRECTORY, else /var/lib/surgewatch).", completion: .directory)
    var stateDir: String?

    func validate() throws {
        if config != nil && db != nil { throw ValidationError("give --config or --db, not both") }
    }

    /// The database path; a config that does not load is said on stderr (exit 1).
    func path() throws -> String { try resolve().path }

    /// The database path and the config it belongs to, loaded once: the config gives the path
    /// (store.path in the state directory) and the figures that depend on it (`alerts --record`).
    func resolve() throws -> (path: String, config: SurgeConfig) {
        let loaded = try loadedConfig()
        return (db ?? StateDirectory.file(loaded.store.path, in: StateDirectory.resolve(override: stateDir)), loaded)
    }

    /// The one `--config` names or the default path's; with `--db`, the built-in defaults. A
    /// config that does not load is said on stderr (exit 1).
    private func loadedConfig() throws -> SurgeConfig {
        if db != nil { return SurgeConfig() }
        do {
            // The sources' secrets are not the database tools' to need.
            return try ConfigLoader.load(path: config ?? ConfigLoader.defaultPath, sourceFiles: false)
        } catch {
            writeAll(error.description + "\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
    }
}
