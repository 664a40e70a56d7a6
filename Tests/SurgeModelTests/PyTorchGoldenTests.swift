import Foundation
import Testing
@testable import SurgeModel

/// Every golden file PyTorch made, through forward, gradients and Adam. Tolerances from the
/// issue: forward and gradients 1e-5 absolute, parameters after Adam 5e-5.
@Suite struct PyTorchGoldenTests {
    static let directory = Bundle.module.resourcePath! + "/Fixtures/pytorch"
    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    struct Golden {
        let json: [String: Any]
        let shape: LSTMShape
        let batch: Int, steps: Int

        init(_ file: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(PyTorchGoldenTests.directory)/\(file)"))
            json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let config = try #require(json["config"] as? [String: Any])
            shape = LSTMShape(features: config["F"] as! Int, hidden: config["H"] as! Int, layers: config["num_layers"] as! Int)
            batch = config["B"] as! Int
            steps = config["T"] as! Int
        }

        func parameters(_ key: String) throws -> LSTMParameters {
            let tensors = try #require(json[key] as? [String: Any])
            var parameters = LSTMParameters.zeros(shape)
            for tensor in shape.tensors {
                let values = flatten(try #require(tensors[tensor.name], "\(key) lacks \(tensor.name)"))
                let fits = parameters.setPytorchTensor(tensor.name, values)
                #expect(fits, "\(tensor.name) has \(values.count) values")
            }
            return parameters
        }

        func tensor(_ path: String...) throws -> [Float] {
            var node: Any = json
            for key in path { node = try #require((node as? [String: Any])?[key], "no \(path.joined(separator: "."))") }
            return flatten(node)
        }
    }

    static func flatten(_ node: Any) -> [Float] {
        if let list = node as? [Any] { return list.flatMap(flatten) }
        if let number = node as? NSNumber { return [Float(number.doubleValue)] }
        return []
    }

    /// Fails with the tensor's name, the worst index and both values.
    static func expectClose(_ name: String, _ ours: [Float], _ theirs: [Float], tolerance: Float, file: String) {
        #expect(ours.count == theirs.count, "\(file) \(name): \(ours.count) values, PyTorch has \(theirs.count)")
        var worst = 0, worstDifference: Float = 0
        for index in 0..<min(ours.count, theirs.count) {
            let difference = abs(ours[index] - theirs[index])
            if !(difference <= worstDifference) { worst = index; worstDifference = difference }
        }
        #expect(worstDifference <= tolerance,
                "\(file) \(name)[\(worst)]: ours \(ours[worst]), PyTorch \(theirs[worst]), |diff| \(worstDifference) > \(tolerance)")
    }

    @Test(arguments: files)
    func matchesPyTorch(file: String) throws {
        let golden = try Golden(file)
        let shape = golden.shape, B = golden.batch, T = golden.steps, H = shape.hidden
        var model = LSTMClassifier(parameters: try golden.parameters("params"))
        let x = try golden.tensor("input", "x")
        let labels = try golden.tensor("input", "labels").map { Int($0) }
        let workspace = LSTMWorkspace(shape: shape, batch: B, steps: T)

        model.forward(x, workspace: workspace)
        Self.expectClose("logits", workspace.logits, try golden.tensor("forward", "logits"), tolerance: 1e-5, file: file)
        Self.expectClose("probs", workspace.probabilities, try golden.tensor("forward", "probs"), tolerance: 1e-5, file: file)
        Self.expectClose("loss", [model.loss(labels: labels, workspace: workspace)], try golden.tensor("forward", "loss"), tolerance: 1e-5, file: file)
        let hN = (0..<shape.layers).flatMap { Array(workspace.finalState($0).h) }
        let cN = (0..<shape.layers).flatMap { Array(workspace.finalState($0).c) }
        Self.expectClose("h_n", hN, try golden.tensor("forward", "h_n"), tolerance: 1e-5, file: file)
        Self.expectClose("c_n", cN, try golden.tensor("forward", "c_n"), tolerance: 1e-5, file: file)
        let layerOutputs = try #require((golden.json["forward"] as? [String: Any])?["layer_outputs"] as? [Any])
        for k in 0..<shape.layers {
            // Ours is time-major [T × B × H], PyTorch's batch-first [B × T × H].
            let ours = workspace.layerOutput(k)
            var batchFirst = [Float](repeating: 0, count: ours.count)
            for t in 0..<T { for b in 0..<B { for j in 0..<H { batchFirst[(b * T + t) * H + j] = ours[(t * B + b) * H + j] } } }
            Self.expectClose("layer_outputs[\(k)]", batchFirst, Self.flatten(layerOutputs[k]), tolerance: 1e-5, file: file)
        }

        var gradients = LSTMParameters.zeros(shape)
        model.backward(labels: labels, workspace: workspace, gradients: &gradients)
        let expectedGradients = try golden.parameters("grads")
        for tensor in shape.tensors {
            Self.expectClose("grad \(tensor.name)", gradients.pytorchTensor(tensor.name)!, expectedGradients.pytorchTensor(tensor.name)!,
                             tolerance: 1e-5, file: file)
        }

        let optimizer = try #require((golden.json["config"] as? [String: Any])?["optimizer"] as? [String: Any])
        let betas = try #require(optimizer["betas"] as? [Double])
        var adam = Adam(parameterCount: shape.parameterCount, learningRate: Float(optimizer["lr"] as! Double),
                        beta1: Float(betas[0]), beta2: Float(betas[1]), epsilon: Float(optimizer["eps"] as! Double))
        let steps = try #require(golden.json["adam"] as? [[String: Any]])
        for step in 1...3 {
            if step > 1 {
                model.forward(x, workspace: workspace)
                model.backward(labels: labels, workspace: workspace, gradients: &gradients)
            }
            let lossBefore = Float((steps[step - 1]["loss_before_step"] as! NSNumber).doubleValue)
            Self.expectClose("loss before Adam step \(step)", [model.loss(labels: labels, workspace: workspace)], [lossBefore], tolerance: 1e-5, file: file)
            adam.update(&model.parameters, gradients: gradients)
            if step == 1 || step == 3 {
                let expected = try golden.parameters("params_after_adam_\(step)")
                for tensor in shape.tensors {
                    Self.expectClose("\(tensor.name) after Adam step \(step)", model.parameters.pytorchTensor(tensor.name)!,
                                     expected.pytorchTensor(tensor.name)!, tolerance: 5e-5, file: file)
                }
            }
        }
    }

    @Test func thereAreGoldenFilesToCheck() {
        #expect(Self.files.count >= 2)
    }
}
