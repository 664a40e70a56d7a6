/// One time step at a time for a batch of one, carrying each layer's (h, c): the cheap path
/// for a window that grows from an empty start. After n steps it equals `forward` over those
/// n steps (tested over 200 steps).
///
/// The daemon's window slides: once it holds T samples, the oldest drops out with each tick,
/// and an LSTM cannot "subtract" a step from its state. `SlidingWindowPredictor` therefore
/// uses the stream only while the window fills, and once full runs the window forward over
/// the last T samples each tick, which is what training sees. At T = 30, H = 32 that costs
/// tens of microseconds per tick; the stream is for filling and for benchmarks of one step.
public struct LSTMStream: Sendable {
    public let model: LSTMClassifier
    private var h: [Float]       // [L × H]
    private var c: [Float]       // [L × H]
    private var z: [Float]       // [G]
    private var tanhC: [Float]   // [H]
    private var logits: [Float]  // [C]
    public private(set) var probabilities: [Float]  // [C]
    public private(set) var steps = 0

    public init(model: LSTMClassifier) {
        self.model = model
        let shape = model.shape
        h = [Float](repeating: 0, count: shape.layers * shape.hidden)
        c = h
        z = [Float](repeating: 0, count: shape.gates)
        tanhC = [Float](repeating: 0, count: shape.hidden)
        logits = [Float](repeating: 0, count: shape.classes)
        probabilities = logits
    }

    public mutating func reset() {
        for index in h.indices { h[index] = 0; c[index] = 0 }
        steps = 0
    }

    /// Feeds one input vector [F]; returns p(overload) (class 1) after it.
    @discardableResult
    public mutating func step(_ x: UnsafeBufferPointer<Float>) -> Float {
        let shape = model.shape, H = shape.hidden, G = shape.gates, offsets = model.offsets
        precondition(x.count == shape.features, "one step takes F values")
        model.parameters.values.withUnsafeBufferPointer { p in
        h.withUnsafeMutableBufferPointer { hs in
        c.withUnsafeMutableBufferPointer { cs in
        z.withUnsafeMutableBufferPointer { zs in
        tanhC.withUnsafeMutableBufferPointer { tcs in
            for k in 0..<shape.layers {
                let input: UnsafePointer<Float> = k == 0 ? x.baseAddress! : UnsafePointer(hs.baseAddress! + (k - 1) * H)
                let hk = hs.baseAddress! + k * H, ck = cs.baseAddress! + k * H
                let z = zs.baseAddress!, bx = p.baseAddress! + offsets.inputBias[k], bh = p.baseAddress! + offsets.recurrentBias[k]
                LSTMKernels.biasSum(bx, bh, G: G, into: z)
                MatrixProduct.multiply(m: 1, n: G, depth: shape.inputSize(layer: k), a: .init(base: input, rowStride: 0, columnStride: 1),
                                       w: p.baseAddress! + offsets.inputKernel[k], wRow: G, c: z, cRow: G, accumulate: true)
                MatrixProduct.multiply(m: 1, n: G, depth: H, a: .init(base: hk, rowStride: 0, columnStride: 1),
                                       w: p.baseAddress! + offsets.recurrentKernel[k], wRow: G, c: z, cRow: G, accumulate: true)
                // In place: z is complete before h and c are overwritten.
                LSTMKernels.cellUpdate(z: zs.baseAddress!, H: H, cPrev: ck, c: ck, tanhC: tcs.baseAddress!, h: hk)
            }
            logits.withUnsafeMutableBufferPointer { l in
            probabilities.withUnsafeMutableBufferPointer { pr in
                LSTMKernels.head(h: hs.baseAddress! + (shape.layers - 1) * H, H: H, C: shape.classes,
                                 weight: p.baseAddress! + offsets.headWeight, bias: p.baseAddress! + offsets.headBias,
                                 logits: l.baseAddress!, probabilities: pr.baseAddress!)
            }}
        }}}}}
        steps += 1
        return probabilities[1]
    }

    @discardableResult
    public mutating func step(_ x: [Float]) -> Float {
        x.withUnsafeBufferPointer { step($0) }
    }
}

/// p(overload) for a window that slides over a stream of samples (see `LSTMStream` for why
/// it streams while filling and recomputes once full). Allocation-free after creation. A class:
/// it owns a workspace, and one predictor belongs to one tick loop.
public final class SlidingWindowPredictor {
    public let window: Int  // T
    private var stream: LSTMStream
    private var rows: [Float]      // ring of the last T inputs, [T × F]
    private var ordered: [Float]   // [T × F] oldest first, for the window forward
    private var head = 0
    public private(set) var count = 0
    private let workspace: LSTMWorkspace

    public init(model: LSTMClassifier, window: Int) {
        self.window = window
        stream = LSTMStream(model: model)
        rows = [Float](repeating: 0, count: window * model.shape.features)
        ordered = rows
        workspace = LSTMWorkspace(shape: model.shape, batch: 1, steps: window)
    }

    /// Adds the newest input [F] and returns p(overload) for the window ending with it.
    public func push(_ x: [Float]) -> Float {
        let F = stream.model.shape.features
        precondition(x.count == F)
        rows.replaceSubrange(head * F..<(head + 1) * F, with: x)
        head = (head + 1) % window
        if count < window {
            count += 1
            return stream.step(x)
        }
        for age in 0..<window {
            let slot = (head + age) % window
            ordered.replaceSubrange(age * F..<(age + 1) * F, with: rows[slot * F..<(slot + 1) * F])
        }
        stream.model.forward(ordered, workspace: workspace)
        return workspace.probabilities[1]
    }
}
