import Synchronization

/// Delivers each event to every sink. One sink failing (disk full, journal gone) does not keep
/// the event from the others; the failure is returned and counted, for the caller to log.
public final class AlertFanOut: Sendable {
    public let sinks: [any AlertSink]
    private let failureCounts = Mutex<[String: Int]>([:])

    public init(_ sinks: [any AlertSink]) {
        self.sinks = sinks
    }

    public struct Failure: Sendable, CustomStringConvertible {
        public var sink: String
        public var alertID: String
        public var error: String
        public var description: String { "alert \(alertID) not delivered to \(sink): \(error)" }
    }

    @discardableResult
    public func deliver(_ event: AlertEvent) -> [Failure] {
        var failures: [Failure] = []
        for sink in sinks {
            do {
                try sink.deliver(event)
            } catch {
                failures.append(Failure(sink: sink.name, alertID: event.alertID, error: "\(error)"))
                failureCounts.withLock { $0[sink.name, default: 0] += 1 }
            }
        }
        return failures
    }

    /// Failed deliveries per sink since start.
    public var failures: [String: Int] { failureCounts.withLock { $0 } }
}

/// Keeps every event in memory: for tests, and for looking at what a replay would have sent.
public final class InMemoryAlertSink: AlertSink {
    public let name = "memory"
    private let stored = Mutex<[AlertEvent]>([])

    public init() {}

    public func deliver(_ event: AlertEvent) throws {
        stored.withLock { $0.append(event) }
    }

    public var events: [AlertEvent] { stored.withLock { $0 } }
}
