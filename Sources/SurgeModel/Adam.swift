#if canImport(Glibc)
import Glibc
#endif

/// torch.optim.Adam (weight_decay 0, amsgrad off), element-wise over the flat parameters:
///   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
///   p ← p − (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
/// eps is added after the bias correction of sqrt(v), as PyTorch does.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public private(set) var step = 0
    var m: [Float]
    var v: [Float]

    public init(parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = [Float](repeating: 0, count: parameterCount)
        v = m
    }

    public mutating func update(_ parameters: inout LSTMParameters, gradients: LSTMParameters) {
        precondition(parameters.values.count == m.count && gradients.values.count == m.count)
        step += 1
        // The corrections in Double, as PyTorch computes them in Python floats.
        let correction1 = 1 - pow(Double(beta1), Double(step))
        let correction2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = Float(Double(learningRate) / correction1)
        let root2 = Float(correction2.squareRoot())
        let b1 = beta1, b2 = beta2, eps = epsilon
        parameters.values.withUnsafeMutableBufferPointer { p in
        gradients.values.withUnsafeBufferPointer { g in
        m.withUnsafeMutableBufferPointer { m in
        v.withUnsafeMutableBufferPointer { v in
            // Eight parameters at a time (the scalar loop's square root and division made Adam
            // 4 % of a training step), then the tail as a partial vector: the same operations
            // in the same order for every element.
            var index = 0
            while index < p.count {
                Self.step(p.baseAddress! + index, g.baseAddress! + index, m.baseAddress! + index, v.baseAddress! + index,
                          count: min(8, p.count - index), b1, b2, stepSize, root2, eps)
                index += 8
            }
        }}}}
    }

    /// `count` < 8 only at the tail: its missing lanes load as zero (sqrt(0) + eps is no
    /// division by zero) and are not stored.
    @inline(__always)
    private static func step(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                             _ v: UnsafeMutablePointer<Float>, count: Int,
                             _ b1: Float, _ b2: Float, _ stepSize: Float, _ root2: Float, _ eps: Float) {
        let gradient = VectorMath.load(g, count)
        let mNew = b1 * VectorMath.load(m, count) + (1 - b1) * gradient
        let vNew = b2 * VectorMath.load(v, count) + (1 - b2) * gradient * gradient
        VectorMath.store(mNew, m, count)
        VectorMath.store(vNew, v, count)
        VectorMath.store(VectorMath.load(p, count) - stepSize * (mNew / (vNew.squareRoot() / root2 + eps)), p, count)
    }
}
