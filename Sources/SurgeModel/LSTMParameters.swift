/// All parameters of an `LSTMShape` in one flat Float32 array (see `LSTMShape` for layout).
/// Gradients and Adam moments use the same layout, so optimisation is one loop.
public struct LSTMParameters: Equatable, Sendable {
    public let shape: LSTMShape
    public var values: [Float]

    public init(shape: LSTMShape, values: [Float]) {
        precondition(values.count == shape.parameterCount, "parameter count does not match the shape")
        self.shape = shape
        self.values = values
    }

    public static func zeros(_ shape: LSTMShape) -> LSTMParameters {
        LSTMParameters(shape: shape, values: [Float](repeating: 0, count: shape.parameterCount))
    }

    /// A tensor in PyTorch's layout (row-major `shape`).
    public func pytorchTensor(_ name: String) -> [Float]? {
        guard let tensor = shape.tensors.first(where: { $0.name == name }) else { return nil }
        let stored = values[tensor.offset..<(tensor.offset + tensor.count)]
        guard tensor.isTransposed else { return Array(stored) }
        let rows = tensor.shape[0], columns = tensor.shape[1]   // PyTorch [G × in]
        var out = [Float](repeating: 0, count: tensor.count)
        for r in 0..<rows {
            for c in 0..<columns { out[r * columns + c] = stored[tensor.offset + c * rows + r] }
        }
        return out
    }

    /// Sets a tensor from PyTorch's layout; false when the name or size does not fit.
    @discardableResult
    public mutating func setPytorchTensor(_ name: String, _ data: [Float]) -> Bool {
        guard let tensor = shape.tensors.first(where: { $0.name == name }), data.count == tensor.count else { return false }
        if tensor.isTransposed {
            let rows = tensor.shape[0], columns = tensor.shape[1]
            for r in 0..<rows {
                for c in 0..<columns { values[tensor.offset + c * rows + r] = data[r * columns + c] }
            }
        } else {
            values.replaceSubrange(tensor.offset..<(tensor.offset + tensor.count), with: data)
        }
        return true
    }

    /// Offsets of the tensors the hot loops need, looked up once.
    struct Offsets {
        var inputKernel: [Int], recurrentKernel: [Int], inputBias: [Int], recurrentBias: [Int]
        var headWeight: Int, headBias: Int

        init(_ shape: LSTMShape) {
            inputKernel = (0..<shape.layers).map { shape.tensor(.inputKernel(layer: $0)).offset }
            recurrentKernel = (0..<shape.layers).map { shape.tensor(.recurrentKernel(layer: $0)).offset }
            inputBias = (0..<shape.layers).map { shape.tensor(.inputBias(layer: $0)).offset }
            recurrentBias = (0..<shape.layers).map { shape.tensor(.recurrentBias(layer: $0)).offset }
            headWeight = shape.tensor(.headWeight).offset
            headBias = shape.tensor(.headBias).offset
        }
    }
}
