import Glibc
import SurgeConfig
import SurgeDetection
import SurgeModel
import SurgeSampling

/// The model a pipeline starts from, and how it was chosen (for the log and the tools):
/// an explicit file (`--model`, or `model.path` when that file exists), else the built-in
/// default model when the config matches what it was trained for, else a fresh model that
/// learns online.
public struct ModelSource: Sendable {
    public var model: ModelFile
    public var origin: String
    /// A fresh model with random weights (see DetectionPipeline.Settings.untrained).
    public var untrained = false
    /// The `[overload]` rule a built-in model learned to predict; nil for a model file (which
    /// does not record its rule) and a fresh model.
    public var trainedRule: SurgeConfig.Overload?
    /// Why `model.path`'s file was not used, when it is set and could not be read ("…: no such
    /// file", "…: Permission denied"): the daemon says it beside the model it starts from
    /// instead, which the operator who set the key did not ask for.
    public var configuredFileUnread: ModelSourceError?

    /// Said at start and by `check-config` when a built-in model meets a config with another
    /// rule (a shop's SLO, say): it predicts the rule it was trained for until online learning
    /// has fitted it to this one, which the operator would otherwise not know.
    public func ruleCaution(_ config: SurgeConfig) -> String? {
        guard let trainedRule, trainedRule != config.overload else { return nil }
        let fitting = config.learning.online
            ? "online learning fits it to this config's rule from the host's own verdicts, and the learned weights serve once their alerts net more on the host's record"
            : "with online learning off it goes on predicting that rule"
        return "the built-in model was trained to predict the rule \(Self.describe(trainedRule)), not this config's \(Self.describe(config.overload)): "
            + fitting + "; a model trained on this host's exported history (surgewatch export, then train) fits it from the start"
    }

    static func describe(_ rule: SurgeConfig.Overload) -> String {
        var parts: [String] = []
        if !rule.any.isEmpty { parts.append("any [" + rule.any.map(\.description).joined(separator: ", ") + "]") }
        if !rule.all.isEmpty { parts.append("all [" + rule.all.map(\.description).joined(separator: ", ") + "]") }
        return parts.joined(separator: " or ") + (rule.forTicks > 1 ? " held \(rule.forTicks) ticks" : "")
    }

    public static func choose(config: SurgeConfig, explicitPath: String?, stateDirectory: String) throws -> ModelSource {
        if let explicitPath {
            return ModelSource(model: try load(explicitPath, config), origin: explicitPath)
        }
        var unread: ModelSourceError?
        if let configured = config.model.path {
            let path = StateDirectory.file(configured, in: stateDirectory)
            // Absent or unreadable: fall through to the built-in model, saying why. Present: it must fit.
            do {
                let bytes = try read(path)
                return ModelSource(model: try decode(bytes, path, config), origin: path)
            } catch let error as ModelSourceError where !error.isMismatch {
                unread = error
            }
        }
        var source = builtInOrFresh(config)
        source.configuredFileUnread = unread
        return source
    }

    /// "model.path cannot be read (…: Permission denied), so the daemon predicts from the
    /// built-in default model instead", with what the shipped unit needs when it was the
    /// file's mode: the daemon runs as a dynamic user, and a file root wrote under umask 077
    /// is root's alone.
    public static func unreadText(_ unread: ModelSourceError, instead origin: String) -> String {
        let permission = unread.permissionDenied
            ? "; the shipped unit runs the daemon as a dynamic user (DynamicUser=yes), so the file must be readable by others (chmod 644)" : ""
        return "model.path cannot be read (\(unread)), so the daemon predicts from \(origin) instead\(permission)"
    }

    /// The model when no file serves: a built-in one that fits the config, else a fresh one.
    private static func builtInOrFresh(_ config: SurgeConfig) -> ModelSource {
        for other in otherBuiltIns {
            if let model = other.model, ModelCatalog.mismatch(model, config) == nil {
                return ModelSource(model: model, origin: other.origin, trainedRule: other.rule)
            }
        }
        if let builtIn = DefaultModel.model {
            if let reason = ModelCatalog.mismatch(builtIn, config) {
                return ModelSource(model: ModelCatalog.fresh(config),
                                   origin: "a fresh model (the built-in one does not fit: \(reason)); it learns online", untrained: true)
            }
            return ModelSource(model: builtIn, origin: "the built-in default model", trainedRule: SurgeConfig.Overload())
        }
        return ModelSource(model: ModelCatalog.fresh(config), origin: "a fresh model; it learns online", untrained: true)
    }

    /// The built-in models other than the default one, each chosen by a config whose features
    /// and sizes it fits, with what the log calls it and the rule it was trained for.
    static let otherBuiltIns: [(model: ModelFile?, origin: String, rule: SurgeConfig.Overload)] = [
        (DefaultModel.fourFeatureModel,
         "the built-in four-feature model (the default features before tcp_listen_queue_ratio; add it to [model] features for the current built-in model, which warns a worker-bound host earlier)",
         SurgeConfig.Overload()),
        (DefaultModel.withoutPSIModel, "the built-in model for hosts without PSI", DefaultModel.withoutPSIRule),
        (DefaultModel.shopSLOModel, "the built-in model for a shop's SLO", DefaultModel.shopSLORule),
        (DefaultModel.shopSLOSevenFeatureModel,
         "the built-in model for a shop's SLO without a worker gauge (add app_workers_busy_ratio to [model] features, from the shop's busy and available workers, for the current one, which warns a worker-bound shop earlier)",
         DefaultModel.shopSLORule),
    ]

    public static func load(_ path: String, _ config: SurgeConfig) throws -> ModelFile {
        try decode(read(path), path, config)
    }

    static func read(_ path: String) throws -> [UInt8] {
        do {
            return try ProcFileReader(limit: 256 << 20).read(path).bytes
        } catch {
            var failure = ModelSourceError(description: "\(error)")
            if case .unreadable(_, EACCES) = error { failure.permissionDenied = true }
            throw failure
        }
    }

    static func decode(_ bytes: [UInt8], _ path: String, _ config: SurgeConfig) throws -> ModelFile {
        let model: ModelFile
        do {
            model = try ModelFile.decode(bytes)
        } catch {
            throw ModelSourceError(description: "\(path): \(error)", isMismatch: true)
        }
        if let reason = ModelCatalog.mismatch(model, config) {
            throw ModelSourceError(description: "\(path): this model does not fit the config: \(reason)", isMismatch: true)
        }
        return model
    }
}

public struct ModelSourceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The file was read, but is damaged or does not fit the config: never passed over.
    var isMismatch = false
    /// The file is there but this process may not read it (its mode, under another user).
    public var permissionDenied = false
}
