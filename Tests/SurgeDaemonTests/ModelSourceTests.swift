import Foundation
import SurgeConfig
import SurgeModel
import Testing
@testable import SurgeDaemon
import SurgeDetection

/// Which model a config starts from when it names none.
@Suite struct ModelSourceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

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

    /// config/without-psi.toml's features (the default ones but CPU pressure) get the model
    /// trained for them, not a fresh one that would wait for overloads to learn from.
    @Test func theFeaturesForAHostWithoutPSIGetTheirBuiltInModel() throws {
        let config = try ConfigLoader.load(path: Self.repository + "/config/without-psi.toml")
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.origin == "the built-in model for hosts without PSI" && !source.untrained)
        #expect(source.model.features.map(\.name) == ["cpu_busy", "load1", "tcp_established", "tcp_listen_queue_ratio"])
        #expect(source.model.tickSeconds == 10 && source.model.horizonTicks == 3 && source.model.windowTicks == 30)
        #expect(source.model.weightsChecksum == 0x8534_8C7A)
        #expect(config.overloadMetrics == ["tcp_listen_overflows_per_s"])
    }

    /// A built-in model under another rule (a shop's SLO) predicts the rule it was trained for
    /// until learning fits it: said, with both rules; under its own rule nothing is said.
    @Test func aBuiltInModelUnderAnotherRuleSaysSo() throws {
        let shipped = try ModelSource.choose(config: SurgeConfig(), explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(shipped.ruleCaution(SurgeConfig()) == nil)

        var config = SurgeConfig()
        config.overload = SurgeConfig.Overload(any: [OverloadCondition(metric: "http_p99_ms", comparison: .greater, threshold: 1000)],
                                               forTicks: 2)
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        let caution = try #require(source.ruleCaution(config))
        #expect(caution.hasPrefix("the built-in model was trained to predict the rule any [tcp_listen_overflows_per_s > 0, psi_cpu_some_avg10 > 50], "
                                  + "not this config's any [http_p99_ms > 1000] held 2 ticks: online learning fits it to this config's rule"), "\(caution)")
        config.learning.online = false
        #expect(source.ruleCaution(config)?.contains("with online learning off it goes on predicting that rule") == true)

        // A fresh model learns this config's rule from the start: nothing to say.
        config.model.features = ["cpu_busy", "load1"]
        let fresh = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(fresh.ruleCaution(config) == nil)
    }

    /// The rule the without-PSI model was trained for is its config's, so that config gets no note.
    @Test func theWithoutPSIRuleIsItsConfigs() throws {
        let config = try ConfigLoader.load(path: Self.repository + "/config/without-psi.toml")
        #expect(config.overload == DefaultModel.withoutPSIRule)
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.ruleCaution(config) == nil)
    }

    /// The guide's config gets the built-in model trained under its SLO, with nothing to
    /// caution; the evaluation's shop config (eval/shop-slo.toml) is the same model's, so
    /// `scripts/evaluate` scores what ships.
    @Test func theShopExampleGetsTheBuiltInModelForItsSLO() throws {
        let config = try ConfigLoader.load(path: Self.repository + "/config/shop-example.toml")
        #expect(config.overload == DefaultModel.shopSLORule)
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.origin == "the built-in model for a shop's SLO" && !source.untrained)
        #expect(source.trainedRule == config.overload && source.ruleCaution(config) == nil)
        #expect(source.model.tickSeconds == 10)
        let evaluation = try ConfigLoader.load(path: Self.repository + "/eval/shop-slo.toml")
        #expect(evaluation.overload == config.overload)
        #expect(ModelCatalog.mismatch(source.model, evaluation) == nil)

        // Another SLO on the same features keeps the model, and says which rule it learned.
        var stricter = config
        stricter.overload.any[0].threshold = 500
        let caution = try #require(try ModelSource.choose(config: stricter, explicitPath: nil, stateDirectory: "/nonexistent").ruleCaution(stricter))
        #expect(caution.hasPrefix("the built-in model was trained to predict the rule any [http_p99_ms > 1000, http_error_ratio > 0.01], "), "\(caution)")
    }

    /// A shop config without the worker gauge (the guide's before session 48) keeps the model
    /// trained for its seven features, under the same SLO, and the log says how to get the newer.
    @Test func aShopWithoutAWorkerGaugeKeepsTheSevenFeatureModel() throws {
        var config = try ConfigLoader.load(path: Self.repository + "/config/shop-example.toml")
        config.model.features.removeAll { $0 == "app_workers_busy_ratio" }
        #expect(config.model.features.count == 7)
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(!source.untrained && source.model.weightsChecksum == DefaultModel.shopSLOSevenFeatureModel?.weightsChecksum)
        #expect(source.origin.hasPrefix("the built-in model for a shop's SLO without a worker gauge (add app_workers_busy_ratio"))
        #expect(source.trainedRule == config.overload && source.ruleCaution(config) == nil)
    }

    @Test func otherFeaturesStartFromAFreshModel() throws {
        var config = SurgeConfig()
        config.model.features = ["cpu_busy", "load1"]
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.untrained)
        #expect(source.origin.hasPrefix("a fresh model (the built-in one does not fit: "))
    }

    /// The built-in models say the tick they were trained at, and their weights are the bytes
    /// their recipes trained: the four-feature model's checksum is the one its version-1 file
    /// stored (format 2 changed no weights), the host model's the one session 45's recipe gives.
    @Test func theBuiltInModelsRecordTheirTenSecondTick() throws {
        let current = try #require(DefaultModel.model), older = try #require(DefaultModel.fourFeatureModel)
        #expect(current.tickSeconds == 10 && older.tickSeconds == 10)
        #expect(current.weightsChecksum == 0x29D4_4D3F)
        // Since session 45 the host models read their two counts against the host's own level.
        let withoutPSI = try #require(DefaultModel.withoutPSIModel)
        for model in [current, withoutPSI] {
            #expect(model.features.filter { $0.transform == .log1pRelative }.map(\.name) == ["load1", "tcp_established"])
        }
        #expect(older.weightsChecksum == 0xF6E7_8C87)
        // Session 43's model for a shop's SLO, seven features: the bytes scripts/evaluate's recipe
        // trained until then; session 48's adds the worker gauge.
        let sevenFeatureShop = try #require(DefaultModel.shopSLOSevenFeatureModel)
        #expect(sevenFeatureShop.tickSeconds == 10 && sevenFeatureShop.features.count == 7)
        #expect(sevenFeatureShop.weightsChecksum == 0x83DC_9300)
        let shop = try #require(DefaultModel.shopSLOModel)
        #expect(shop.tickSeconds == 10 && shop.features.last?.name == "app_workers_busy_ratio")
        #expect(shop.weightsChecksum == 0x89F4_CB79)
    }

    /// Another tick length keeps the model (it still predicts, and learns) with a warning that
    /// says what its horizon and window mean at this one; within 10 % nothing is said.
    @Test func anotherTickLengthIsSaidNotRefused() throws {
        let model = try #require(DefaultModel.model)
        #expect(ModelCatalog.tickCaution(model, tickSeconds: 10, here: "sampling.interval is") == nil)
        #expect(ModelCatalog.tickCaution(model, tickSeconds: 10.9, here: "sampling.interval is") == nil)
        let caution = try #require(ModelCatalog.tickCaution(model, tickSeconds: 5, here: "sampling.interval is"))
        #expect(caution == "the model was trained on ticks of 10s, sampling.interval is 5s: its horizon of 3 ticks looks 15s ahead here, not 30s, and its window of 30 ticks spans 2m30s, not 5m; it still serves (BENCHMARKS.md, session 23), and one trained on traces at this tick (surgewatch train) keeps the 30s horizon")
        var unrecorded = model
        unrecorded.tickSeconds = nil
        #expect(ModelCatalog.tickCaution(unrecorded, tickSeconds: 60, here: "sampling.interval is") == nil)

        var config = SurgeConfig()
        config.sampling.interval = .seconds(5)
        let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: "/nonexistent")
        #expect(source.origin == "the built-in default model" && !source.untrained)
        #expect(ModelCatalog.fresh(config).tickSeconds == 5, "a fresh model learns at the config's tick")
    }
}
