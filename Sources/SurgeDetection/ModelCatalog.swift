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
                  windowTicks: config.window.ticks, features: config.model.features.map(priorScaling))
    }

    /// The LSTM's sizes `config` asks for.
    public static func shape(_ config: SurgeConfig) -> LSTMShape {
        LSTMShape(features: config.model.features.count, hidden: config.model.hidden, layers: config.model.layers)
    }

    static func priorScaling(_ name: String) -> ModelFile.FeatureScaling {
        let transform = FeatureScaler.transform(for: name)
        switch transform {
        case .log1p: return .init(name: name, transform: transform, mean: 2, standardDeviation: 2)
        case .identity where name.hasPrefix("psi_"): return .init(name: name, transform: transform, mean: 5, standardDeviation: 15)
        case .identity: return .init(name: name, transform: transform, mean: 0.3, standardDeviation: 0.3)
        }
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
