import SurgeDetection
import SurgeModel
import SurgeStore

/// At a start or reload, the host's usual levels of a model's relative features (`HostLevels`)
/// come back from the ticks stored in SQLite, so that a restart reads counts against this
/// host's level at once instead of learning it again over a day.
///
/// The newest `readTicks` stored ticks before the window the pipeline re-reads are taken in,
/// in the order written (the window's own ticks then go in as the pipeline reads them). Three
/// half-lives: what came before weighs an eighth in a centre that never stopped, so the centre
/// is close to the live one's, not bit for bit the same.
enum StoredHostLevels {
    static let readTicks = 3 * HostLevels.halfLifeTicks

    /// Nil when the model reads no level, or none is stored (a first start): the levels then
    /// begin at the first tick. `before`: the first tick the pipeline re-reads (nil: none).
    /// `unreadable`: the stored ticks could not be read, a fault to warn of.
    static func read(store path: String, model: ModelFile, before: Double?) -> (levels: HostLevels?, message: String?, unreadable: Bool) {
        let scaler = FeatureScaler(model.features)
        guard scaler.readsLevels else { return (nil, nil, false) }
        var levels = HostLevels(scaler)
        var read = 0
        do {
            let history = try SampleHistory(path: path, only: Set(scaler.names))
            let columns = scaler.names.map { history.metrics.firstIndex(of: $0) }
            var raw = [Double](repeating: .nan, count: columns.count)
            try history.forEach(newest: readTicks) { time, stored in
                guard before.map({ time < $0 }) ?? true else { return }
                // As the live window holds each value: a Float.
                for (index, column) in columns.enumerated() { raw[index] = column.map { Double(Float(stored[$0])) } ?? .nan }
                levels.observe(raw)
                read += 1
            }
        } catch {
            return (nil, "the host's usual levels start again at this tick: the stored ticks cannot be read (\(error))", true)
        }
        let window = before == nil ? "" : ", then the resumed window's"
        guard read > 0 else {
            return (nil, before == nil ? "the host's usual levels start at this tick: no tick stored before it"
                                       : "the host's usual levels start with the resumed window: no tick stored before it", false)
        }
        return (levels, "the host's usual levels taken from \(read) stored ticks\(window)", false)
    }
}
