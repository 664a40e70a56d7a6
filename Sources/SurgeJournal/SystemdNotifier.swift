import CSystemd
import Glibc

/// Talks to the service manager as `sd_notify(3)` does, through a socket kept open
/// (`NotifyChannel`) where sd_notify would open one per message. Every call is a no-op when
/// `NOTIFY_SOCKET` is unset (not started by systemd), so the daemon calls it unconditionally.
public struct SystemdNotifier: Sendable {
    private let channel: NotifyChannel?

    public init() {
        channel = getenv("NOTIFY_SOCKET").flatMap { NotifyChannel(notifySocket: String(cString: $0)) }
    }

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    public var isListening: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends newline-separated `KEY=value` assignments; true when a datagram was sent.
    @discardableResult
    public func send(_ assignments: String) -> Bool {
        if let channel { return channel.send(assignments) }
        return sd_notify(0, assignments) > 0
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    /// A tick's one datagram: its status, READY=1 after the first, and the watchdog ping when
    /// systemd expects one. Sent apart they woke the service manager twice a tick.
    public func tick(status: String, first: Bool, watchdog: Bool) {
        send((first ? "READY=1\n" : "") + "STATUS=\(status)" + (watchdog ? "\nWATCHDOG=1" : ""))
    }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }

    /// RELOADING=1 with the CLOCK_MONOTONIC timestamp that systemd 253+ requires for
    /// Type=notify-reload; older managers ignore the extra field.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=reloading configuration")
    }

    /// The watchdog period systemd expects (`WatchdogSec=`), or nil when the watchdog is off
    /// or meant for another process.
    public func watchdogPeriod() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }
}
