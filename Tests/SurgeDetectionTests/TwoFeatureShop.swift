import SurgeConfig
import SurgeSampling

/// A small pipeline's config for tests that run many ticks: features a and b, the rule y > 0.5,
/// an 8-tick window, a 2-tick horizon and 6 hidden units.
enum TwoFeatureShop {
    static let schema = MetricSchema(["a", "b", "y"])

    static func config() -> SurgeConfig {
        var config = SurgeConfig()
        config.model.features = ["a", "b"]
        config.model.hidden = 6
        config.model.horizonTicks = 2
        config.window.ticks = 8
        config.overload.any = [try! OverloadCondition.parse("y > 0.5").get()]
        config.overload.all = []
        return config
    }
}
