/// Rescales gradients whose global L2 norm exceeds `maxNorm`, as torch.nn.utils.clip_grad_norm_
/// (scale = maxNorm / (norm + 1e-6), applied only when below 1). Returns the norm before
/// clipping, for logging; a non-finite norm leaves the gradients untouched so the caller can
/// reject the step.
extension LSTMParameters {
    @discardableResult
    public mutating func clipNorm(_ maxNorm: Float) -> Float {
        var sum: Double = 0
        for value in values { sum += Double(value) * Double(value) }
        let norm = Float(sum.squareRoot())
        guard norm.isFinite else { return norm }
        let scale = maxNorm / (norm + 1e-6)
        if scale < 1 {
            for index in values.indices { values[index] *= scale }
        }
        return norm
    }
}
