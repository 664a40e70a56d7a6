import SurgeDetection

/// Alert events into the `alerts` table, in the same transaction as the tick's samples.
public struct SQLiteAlertSink: AlertSink {
    public let name = "sqlite"
    let store: SurgeStore

    public init(store: SurgeStore) {
        self.store = store
    }

    /// Staged now, written by the tick's `commit()`; a failed commit keeps it for the next one.
    public func deliver(_ event: AlertEvent) throws {
        store.stage(event)
    }
}
