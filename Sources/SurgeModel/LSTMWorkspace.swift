/// Preallocated buffers for one batch size and window length, so forward and backward
/// allocate nothing. Reuse one workspace per (B, T) on a hot path.
public final class LSTMWorkspace {
    public let shape: LSTMShape
    public let batch: Int  // B
    public let steps: Int  // T

    /// The last forward's input, time-major [T × B × F] like every layer's sequences, so that
    /// layer 0 needs no special case; layer 0's backward reads it.
    var inputTimeMajor: [Float]
    // Per layer, [T × B × H] (or [T × B × G] for gates): what backward needs from forward.
    var h: [[Float]]       // h_t, the layer's output sequence
    var c: [[Float]]       // c_t
    var tanhC: [[Float]]   // tanh(c_t)
    var gates: [[Float]]   // activated i | f | g | o
    /// [B × C]
    public internal(set) var logits: [Float]
    /// [B × C]
    public internal(set) var probabilities: [Float]

    // Backward scratch.
    var dOutput: [Float]   // [T × B × H] gradient arriving at the current layer's outputs
    var dInput: [Float]    // [T × B × H] gradient leaving towards the layer below
    var dhNext: [Float]    // [B × H]
    var dcNext: [Float]    // [B × H]
    var dz: [Float]        // [T × B × G], every gate gradient of the current layer
    let zeros: [Float]     // [B × H] initial state
    /// Per layer, the gate kernels back in PyTorch's [G × in] layout, refreshed by each
    /// backward: the gradient towards inputs is then an axpy over `in` instead of G-long dots.
    var inputKernelRows: [[Float]]
    var recurrentKernelRows: [[Float]]

    public init(shape: LSTMShape, batch: Int, steps: Int) {
        precondition(batch > 0 && steps > 0)
        self.shape = shape
        self.batch = batch
        self.steps = steps
        let H = shape.hidden, G = shape.gates
        let perLayer = steps * batch * H
        h = Array(repeating: [Float](repeating: 0, count: perLayer), count: shape.layers)
        c = h
        tanhC = h
        gates = Array(repeating: [Float](repeating: 0, count: steps * batch * G), count: shape.layers)
        logits = [Float](repeating: 0, count: batch * shape.classes)
        probabilities = logits
        dOutput = [Float](repeating: 0, count: perLayer)
        dInput = dOutput
        dhNext = [Float](repeating: 0, count: batch * H)
        dcNext = dhNext
        dz = [Float](repeating: 0, count: steps * batch * G)
        inputTimeMajor = [Float](repeating: 0, count: steps * batch * shape.features)
        zeros = dhNext
        inputKernelRows = (0..<shape.layers).map { [Float](repeating: 0, count: G * shape.inputSize(layer: $0)) }
        recurrentKernelRows = Array(repeating: [Float](repeating: 0, count: G * H), count: shape.layers)
    }

    /// Floats a workspace of these sizes allocates (what `init` allocates, array by array; a
    /// test holds the two together), so memory can be told before it is taken.
    public static func floatCount(shape: LSTMShape, batch: Int, steps: Int) -> Int {
        let H = shape.hidden, G = shape.gates, L = shape.layers
        let perLayer = steps * batch * H
        let forward = L * (3 * perLayer + steps * batch * G) + 2 * batch * shape.classes + steps * batch * shape.features
        let backward = 2 * perLayer + 3 * batch * H + steps * batch * G
        let kernels = (0..<L).reduce(0) { $0 + G * shape.inputSize(layer: $1) } + L * G * H
        return forward + backward + kernels
    }

    /// What layer k reads, time-major: x for layer 0, the layer below's outputs above.
    func input(ofLayer k: Int) -> [Float] { k > 0 ? h[k - 1] : inputTimeMajor }

    /// The output sequence of `layer`, [T × B × H] (time-major).
    public func layerOutput(_ layer: Int) -> [Float] { h[layer] }
    /// The final hidden and cell state of `layer`, [B × H].
    public func finalState(_ layer: Int) -> (h: ArraySlice<Float>, c: ArraySlice<Float>) {
        let size = batch * shape.hidden, start = (steps - 1) * size
        return (h[layer][start..<(start + size)], c[layer][start..<(start + size)])
    }
}
