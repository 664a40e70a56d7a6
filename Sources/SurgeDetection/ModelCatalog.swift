import SurgeConfig
import SurgeModel

/// Where the model a pipeline starts from comes from.
public enum ModelCatalog {
    /// A new model for `config`'s features and sizes: PyTorch's initialisation from `seed`, and
    /// scaling from broad priors per kind of metric (it has seen no data of this host yet;
    /// `train` fits real statistics). It predicts noise until online learning has seen both
    /// classes, which the daemon says in its log.
    public static func fresh(_ config: SurgeConfig, seed: UInt64 = 1) -> ModelFile {
        ModelFile(parameters: .initialized(shape(config), seed: seed), horizonTicks: config.model.horizonTicks,
                  windowTicks: config.window.ticks, tickSeconds: config.sampling.interval.seconds,
                  features: config.model.features.map(priorScaling))
    }

    /// The LSTM's sizes `config` asks for.
    public static func shape(_ config: SurgeConfig) -> LSTMShape {
        LSTMShape(features: config.model.features.count, hidden: config.model.hidden, layers: config.model.layers)
    }

    static func priorScaling(_ name: String) -> ModelFile.FeatureScaling {
        let transform = FeatureScaler.transform(for: name)
        switch transform {
        case .log1p, .log1pRelative: return .init(name: name, transform: transform, mean: 2, standardDeviation: 2)
        case .identity where MetricScale(of: name) == .percent: return .init(name: name, transform: transform, mean: 5, standardDeviation: 15)
        case .identity: return .init(name: name, transform: transform, mean: 0.3, standardDeviation: 0.3)
        }
    }

    /// What a model trained at one tick length means at another: its horizon and window are
    /// counted in ticks, so they look ahead and back over other times. It still predicts (at
    /// 20 s ticks the 10 s built-in model warned as well as one trained at 20 s, BENCHMARKS.md),
    /// so this is a warning, not a refusal; nil when the lengths are within 10 % or the model
    /// does not record its own (format version 1).
    public static func tickCaution(_ model: ModelFile, tickSeconds: Double, here: String) -> String? {
        guard let trained = model.tickSeconds, !sameTick(trained, tickSeconds) else { return nil }
        func time(_ ticks: Int, _ seconds: Double) -> String { DurationText.format(seconds: Double(ticks) * seconds) }
        func ticks(_ count: Int) -> String { count == 1 ? "1 tick" : "\(count) ticks" }
        let horizon = max(model.horizonTicks, 1)
        return "the model was trained on ticks of \(time(1, trained)), \(here) \(time(1, tickSeconds)): its horizon of \(ticks(horizon)) looks \(time(horizon, tickSeconds)) ahead here, not \(time(horizon, trained)), and its window of \(ticks(model.windowTicks)) spans \(time(model.windowTicks, tickSeconds)), not \(time(model.windowTicks, trained)); it still serves (BENCHMARKS.md, session 23), and one trained on traces at this tick (surgewatch train) keeps the \(time(horizon, trained)) horizon"
    }

    /// Two tick lengths close enough (within 10 %) for a model of one to serve the other.
    public static func sameTick(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= 0.1 * max(a, b)
    }

    /// Why `model` cannot serve `config`, or nil when it can.
    public static func mismatch(_ model: ModelFile, _ config: SurgeConfig) -> String? {
        let shape = model.parameters.shape
        if model.features.map(\.name) != config.model.features {
            return "it reads [\(model.features.map(\.name).joined(separator: ", "))], the config's model.features are [\(config.model.features.joined(separator: ", "))]"
        }
        if model.windowTicks != config.window.ticks { return "it was made for windows of \(model.windowTicks) ticks, window.ticks is \(config.window.ticks)" }
        if model.horizonTicks != config.model.horizonTicks {
            return "it predicts \(model.horizonTicks) ticks ahead, model.horizon_ticks is \(config.model.horizonTicks)"
        }
        if shape.hidden != config.model.hidden || shape.layers != config.model.layers {
            return "it has \(shape.layers) layers of \(shape.hidden), the config asks for \(config.model.layers) of \(config.model.hidden)"
        }
        return nil
    }
}
