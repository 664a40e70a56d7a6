import SurgeConfig
import SurgeModel
import Testing
@testable import SurgeDaemon

/// Which model a config starts from when it names none.
@Suite struct ModelSourceTests {
    @Test func theDefaultConfigGetsTheBuiltInModel() throws {
        let source = try ModelSource.choose(config: SurgeConfig(), explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.origin == "the built-in default model")
        #expect(!source.untrained)
        #expect(source.model.features.map(\.name) == SurgeConfig().model.features)
        #expect(source.model.features.map(\.name).last == "tcp_listen_queue_ratio")
    }

    /// A config written before session 10 lists the four features of that time, and installs
    /// never overwrite a config: it keeps the trained model it had.
    @Test func theFourFeaturesOfEarlierConfigsGetTheEarlierBuiltInModel() throws {
        var config = SurgeConfig()
        config.model.features = ["cpu_busy", "load1", "psi_cpu_some_avg10", "tcp_established"]
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.origin.hasPrefix("the built-in four-feature model"))
        #expect(source.origin.contains("add it to [model] features"))
        #expect(!source.untrained)
        #expect(source.model.features.map(\.name) == config.model.features)
        #expect(source.model != DefaultModel.model)
    }

    @Test func otherFeaturesStartFromAFreshModel() throws {
        var config = SurgeConfig()
        config.model.features = ["cpu_busy", "load1"]
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.untrained)
        #expect(source.origin.hasPrefix("a fresh model (the built-in one does not fit: "))
    }
}
