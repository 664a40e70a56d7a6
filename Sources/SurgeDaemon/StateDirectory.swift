import FoundationEssentials
import Glibc

/// Where the daemon keeps its database and learned model.
///
/// In order: `--state-dir`, then `$STATE_DIRECTORY` (set by systemd from `StateDirectory=`), then
/// /var/lib/surgewatch. Relative `store.path` and `model.path` are resolved inside it, so one
/// shipped config works under systemd and in a developer's checkout alike.
public enum StateDirectory {
    public static let fallback = "/var/lib/surgewatch"

    public static func resolve(override: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let override, !override.isEmpty { return absolute(override) }
        // systemd passes a colon-separated list when several directories are configured.
        if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !fromSystemd.isEmpty {
            return String(fromSystemd)
        }
        return fallback
    }

    public static func file(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : join(directory, path)
    }

    /// Prepares the state directory when the database lives in it (`store.path` relative). An
    /// absolute `store.path` elsewhere needs nothing of it (a relative `model.path` is only
    /// read): a daemon or `test-alert` run by hand must not leave a root-owned
    /// /var/lib/surgewatch where systemd's `DynamicUser=` would later find a directory it did not
    /// make, nor fail on one that user cannot create.
    public static func prepare(_ directory: String, holding storePath: String) throws {
        guard !storePath.hasPrefix("/") else { return }
        try prepare(directory)
    }

    /// Creates the directory (and parents) if needed; throws a message naming the directory that
    /// could not be made and why, as the kernel says it ("Permission denied"), for the journal.
    public static func prepare(_ directory: String) throws {
        if let failure = makeDirectories(directory) {
            throw DaemonError.stateDirectory(path: directory, reason: failure)
        }
        guard access(directory, W_OK) == 0 else {
            throw DaemonError.stateDirectory(path: directory, reason: "not writable by this user")
        }
    }

    /// `mkdir -p`: nil when the directory exists or was made, else what went wrong and where.
    static func makeDirectories(_ directory: String) -> String? {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            // The unit's UMask narrows the mode; outside systemd the user's umask does.
            if mkdir(prefix, 0o777) == 0 { continue }
            let code = errno
            var status = stat()
            if code == EEXIST, stat(prefix, &status) == 0 {
                if status.st_mode & S_IFMT == S_IFDIR { continue }
                return "cannot create it: \(prefix) exists and is not a directory"
            }
            return "cannot create it: \(prefix): \(String(cString: strerror(code)))"
        }
        return nil
    }

    /// Relative to the working directory, without "." components (`--state-dir ./state` reads
    /// /srv/shop/state in every message, not /srv/shop/./state); ".." is kept, as a symlink
    /// may stand before it.
    static func absolute(_ path: String, from workingDirectory: String = FileManager.default.currentDirectoryPath) -> String {
        let whole = path.hasPrefix("/") ? path : join(workingDirectory, path)
        return "/" + whole.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    private static func join(_ directory: String, _ path: String) -> String {
        directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case stateDirectory(path: String, reason: String)

    public var description: String {
        switch self {
        case .stateDirectory(let path, let reason): return "state directory \(path): \(reason)"
        }
    }
}
