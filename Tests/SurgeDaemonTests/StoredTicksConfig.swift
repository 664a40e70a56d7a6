import Foundation
import SurgeConfig
import SurgeStore

/// The config of the tests that store ticks in SQLite and start again from them: one feature,
/// a tiny model (4 hidden units, 1 layer), a 6-tick window, horizon 2, and `y > 0.5` as the
/// rule, so thousands of ticks run in a moment.
func storedTicksConfig(feature: String) -> SurgeConfig {
    var config = SurgeConfig()
    config.model.features = [feature]
    config.model.hidden = 4
    config.model.layers = 1
    config.model.horizonTicks = 2
    config.window.ticks = 6
    config.overload.any = [try! OverloadCondition.parse("y > 0.5").get()]
    config.overload.all = []
    return config
}

/// An open store whose file was then removed from under it, in `directory` (made here): the
/// store is open, and every reader that opens the file by its path fails, as on a read fault.
func storeWhoseFileIsGone(in directory: String) throws -> SurgeStore {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let store = try SurgeStore(path: directory + "/surgewatch.db")
    try FileManager.default.removeItem(atPath: directory + "/surgewatch.db")
    return store
}
