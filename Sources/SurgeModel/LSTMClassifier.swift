#if canImport(Glibc)
import Glibc
#endif

/// A stacked LSTM, a dense layer on the top layer's last hidden state, and softmax over
/// {normal, overload}: exactly PyTorch's `nn.LSTM(F, H, num_layers=L, batch_first=True)` +
/// `nn.Linear(H, C)` + softmax / mean cross-entropy (checked against golden files).
///
/// Equations per layer and step (x_t the layer's input, h_{-1} = c_{-1} = 0):
///   z = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh           (G = 4H)
///   i = σ(z_i)  f = σ(z_f)  g = tanh(z_g)  o = σ(z_o)
///   c_t = f ⊙ c_{t-1} + i ⊙ g      h_t = o ⊙ tanh(c_t)
public struct LSTMClassifier: Sendable {
    public var parameters: LSTMParameters
    public var shape: LSTMShape { parameters.shape }
    let offsets: LSTMParameters.Offsets

    public init(parameters: LSTMParameters) {
        self.parameters = parameters
        offsets = LSTMParameters.Offsets(parameters.shape)
    }

    // MARK: forward

    /// Runs a batch of windows. `x` is [B × T × F] (batch-first, as PyTorch); results land in
    /// `workspace` (logits, probabilities, every layer's states for backward).
    ///
    /// Layer by layer: a layer's input projection for all T·B rows is one matrix product (no
    /// dependency between steps, so it runs at full throughput); only h_{t−1}·W_hh remains in
    /// the step loop.
    public func forward(_ x: [Float], workspace ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, F = shape.features
        precondition(x.count == B * T * F, "x must be [B × T × F]")
        x.withUnsafeBufferPointer { source in
            ws.inputTimeMajor.withUnsafeMutableBufferPointer { target in
                for b in 0..<B {
                    for t in 0..<T {
                        (target.baseAddress! + (t * B + b) * F).update(from: source.baseAddress! + (b * T + t) * F, count: F)
                    }
                }
            }
        }
        parameters.values.withUnsafeBufferPointer { p in
            for k in 0..<shape.layers {
                layerForward(k, p, ws)
            }
            headForward(p, ws)
        }
    }

    /// The dense head alone, on the top layer's last hidden state that the last `forward` left
    /// in `workspace`: when that forward ran weights with the same LSTM layers as these
    /// (`hasLayers(equalTo:)`), the probabilities are bit for bit those of a whole forward.
    public func forwardHead(workspace ws: LSTMWorkspace) {
        parameters.values.withUnsafeBufferPointer { headForward($0, ws) }
    }

    /// Whether `other` has these LSTM layers (every tensor before the head), value for value.
    public func hasLayers(equalTo other: LSTMClassifier) -> Bool {
        guard shape == other.shape else { return false }
        let layers = 0..<offsets.headWeight
        return parameters.values[layers].elementsEqual(other.parameters.values[layers])
    }

    /// One layer over the whole window, time-major: input [T × B × in] (x for layer 0, the
    /// layer below's h above), outputs [T × B × H].
    private func layerForward(_ k: Int, _ p: UnsafeBufferPointer<Float>, _ ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, G = shape.gates, inSize = shape.inputSize(layer: k)
        let wx = p.baseAddress! + offsets.inputKernel[k]      // [in × G]
        let wh = p.baseAddress! + offsets.recurrentKernel[k]  // [H × G]
        let bx = p.baseAddress! + offsets.inputBias[k]        // [G]
        let bh = p.baseAddress! + offsets.recurrentBias[k]    // [G]
        let below = ws.input(ofLayer: k)
        below.withUnsafeBufferPointer { inputs in
            ws.h[k].withUnsafeMutableBufferPointer { hs in
            ws.c[k].withUnsafeMutableBufferPointer { cs in
            ws.tanhC[k].withUnsafeMutableBufferPointer { tcs in
            ws.gates[k].withUnsafeMutableBufferPointer { gs in
            ws.zeros.withUnsafeBufferPointer { zero in
                let z = gs.baseAddress!
                LSTMKernels.biasSum(bx, bh, G: G, into: z)
                for row in 1..<(T * B) { (z + row * G).update(from: z, count: G) }
                MatrixProduct.multiply(m: T * B, n: G, depth: inSize,
                                       a: .init(base: inputs.baseAddress!, rowStride: inSize, columnStride: 1),
                                       w: wx, wRow: G, c: z, cRow: G, accumulate: true)
                for t in 0..<T {
                    if t > 0 {
                        MatrixProduct.multiply(m: B, n: G, depth: H,
                                               a: .init(base: hs.baseAddress! + (t - 1) * B * H, rowStride: H, columnStride: 1),
                                               w: wh, wRow: G, c: z + t * B * G, cRow: G, accumulate: true)
                    }
                    for b in 0..<B {
                        let row = t * B + b
                        let cPrev: UnsafePointer<Float> = t == 0 ? zero.baseAddress! + b * H : UnsafePointer(cs.baseAddress! + (row - B) * H)
                        LSTMKernels.cellUpdate(z: z + row * G, H: H, cPrev: cPrev, c: cs.baseAddress! + row * H,
                                               tanhC: tcs.baseAddress! + row * H, h: hs.baseAddress! + row * H)
                    }
                }
            }}}}}
        }
    }

    /// logits = h_last · fcᵀ + b, probabilities = softmax(logits).
    private func headForward(_ p: UnsafeBufferPointer<Float>, _ ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, C = shape.classes
        let top = shape.layers - 1
        ws.h[top].withUnsafeBufferPointer { hs in
        ws.logits.withUnsafeMutableBufferPointer { logits in
        ws.probabilities.withUnsafeMutableBufferPointer { probabilities in
            for b in 0..<B {
                LSTMKernels.head(h: hs.baseAddress! + ((T - 1) * B + b) * H, H: H, C: C,
                                 weight: p.baseAddress! + offsets.headWeight, bias: p.baseAddress! + offsets.headBias,
                                 logits: logits.baseAddress! + b * C, probabilities: probabilities.baseAddress! + b * C)
            }
        }}}
    }

    // MARK: loss and backward

    /// Mean cross-entropy of the last `forward`'s batch against `labels` (class per window),
    /// optionally weighted per class like PyTorch's `weight=` (Σ w_y·nll / Σ w_y).
    public func loss(labels: [Int], classWeights: [Float]? = nil, workspace ws: LSTMWorkspace) -> Float {
        let C = shape.classes
        var total = 0.0, weightSum = 0.0
        // Buffers, not array iteration: unoptimised builds run the stdlib's generic iterator,
        // which allocates per element (the allocation audit counts it).
        ws.probabilities.withUnsafeBufferPointer { probabilities in
        labels.withUnsafeBufferPointer { labels in
            for b in 0..<labels.count {
                let y = labels[b]
                let w = Double(Self.weight(of: y, classWeights))
                total += -w * Double(logf(max(probabilities[b * C + y], Float.leastNormalMagnitude)))
                weightSum += w
            }
        }}
        return Float(total / weightSum)
    }

    /// The class weight of label y (1 without weights).
    @inline(__always)
    static func weight(of y: Int, _ classWeights: [Float]?) -> Float {
        if let classWeights { return classWeights[y] }
        return 1
    }

    /// Gradients of `loss(labels:classWeights:)` for every parameter, by backpropagation
    /// through time over the window; `forward` must have run on this workspace. `gradients`
    /// is overwritten (same layout as the parameters). With `throughLayers` false only the
    /// output layer's gradient is computed (the same values) and the LSTM layers' stay zero:
    /// online learning of a trained model, which moves its output layer only, skips BPTT.
    public func backward(labels: [Int], classWeights: [Float]? = nil, workspace ws: LSTMWorkspace, gradients: inout LSTMParameters,
                         throughLayers: Bool = true) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, C = shape.classes, top = shape.layers - 1
        precondition(labels.count == B, "one label per window")
        precondition(gradients.shape == shape)
        var weightSum: Float = 0
        labels.withUnsafeBufferPointer { labels in
            for b in 0..<labels.count { weightSum += Self.weight(of: labels[b], classWeights) }
        }
        gradients.values.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
            parameters.values.withUnsafeBufferPointer { p in
                // Head: dlogits = (softmax − onehot) · w_y / Σw; the top layer's dh at T−1.
                ws.dOutput.withUnsafeMutableBufferPointer { dOut in
                    dOut.update(repeating: 0)
                    ws.h[top].withUnsafeBufferPointer { hs in
                    ws.probabilities.withUnsafeBufferPointer { probabilities in
                    labels.withUnsafeBufferPointer { labels in
                        for b in 0..<B {
                            let scale = Self.weight(of: labels[b], classWeights) / weightSum
                            let last = hs.baseAddress! + ((T - 1) * B + b) * H
                            let dh = dOut.baseAddress! + ((T - 1) * B + b) * H
                            for cls in 0..<C {
                                let d = (probabilities[b * C + cls] - (cls == labels[b] ? 1 : 0)) * scale
                                g[offsets.headBias + cls] += d
                                let wRow = p.baseAddress! + offsets.headWeight + cls * H
                                let gRow = g.baseAddress! + offsets.headWeight + cls * H
                                for j in 0..<H {
                                    gRow[j] += d * last[j]
                                    dh[j] += d * wRow[j]
                                }
                            }
                        }
                    }}}
                }
                guard throughLayers else { return }
                for k in stride(from: top, through: 0, by: -1) {
                    layerBackward(k, p, g, ws)
                    if k > 0 { swap(&ws.dOutput, &ws.dInput) }
                }
                // PyTorch's two biases get the same gradient (both are added to z).
                for k in 0..<shape.layers {
                    let from = g.baseAddress! + offsets.inputBias[k], to = g.baseAddress! + offsets.recurrentBias[k]
                    to.update(from: from, count: shape.gates)
                }
            }
        }
    }

    /// BPTT through layer k. The step loop only does what depends on the later step (the cell
    /// gradient and dh_{t−1} = dz·W_hh); every gate gradient dz is kept, so the weight
    /// gradients and the gradient towards the layer below are then each one long product.
    private func layerBackward(_ k: Int, _ p: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>, _ ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, G = shape.gates, inSize = shape.inputSize(layer: k)
        let wx = p.baseAddress! + offsets.inputKernel[k], wh = p.baseAddress! + offsets.recurrentKernel[k]
        let gwx = g.baseAddress! + offsets.inputKernel[k], gwh = g.baseAddress! + offsets.recurrentKernel[k]
        let gb = g.baseAddress! + offsets.inputBias[k]
        LSTMKernels.transpose(wx, rows: inSize, columns: G, into: &ws.inputKernelRows[k])
        LSTMKernels.transpose(wh, rows: H, columns: G, into: &ws.recurrentKernelRows[k])
        ws.dhNext.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        ws.dcNext.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        let below = ws.input(ofLayer: k)
        below.withUnsafeBufferPointer { xs in
        ws.h[k].withUnsafeBufferPointer { hs in
        ws.c[k].withUnsafeBufferPointer { cs in
        ws.tanhC[k].withUnsafeBufferPointer { tcs in
        ws.gates[k].withUnsafeBufferPointer { gs in
        ws.dOutput.withUnsafeBufferPointer { dOut in
        ws.dInput.withUnsafeMutableBufferPointer { dIn in
        ws.dhNext.withUnsafeMutableBufferPointer { dhNext in
        ws.dcNext.withUnsafeMutableBufferPointer { dcNext in
        ws.dz.withUnsafeMutableBufferPointer { dzs in
        ws.zeros.withUnsafeBufferPointer { zero in
        ws.inputKernelRows[k].withUnsafeBufferPointer { wxRows in
        ws.recurrentKernelRows[k].withUnsafeBufferPointer { whRows in
            let dz = dzs.baseAddress!
            for t in stride(from: T - 1, through: 0, by: -1) {
                for b in 0..<B {
                    let row = t * B + b
                    let cPrev: UnsafePointer<Float> = t == 0 ? zero.baseAddress! + b * H : cs.baseAddress! + (row - B) * H
                    LSTMKernels.cellBackward(
                        H: H, dOut: dOut.baseAddress! + row * H, dhNext: dhNext.baseAddress! + b * H,
                        dcNext: dcNext.baseAddress! + b * H, gates: gs.baseAddress! + row * G,
                        tanhC: tcs.baseAddress! + row * H, cPrev: cPrev, dz: dz + row * G)
                }
                if t > 0 {  // dh_{t−1} = dz_t · W_hh, per window
                    MatrixProduct.multiply(m: B, n: H, depth: G, a: .init(base: dz + t * B * G, rowStride: G, columnStride: 1),
                                           w: whRows.baseAddress!, wRow: H, c: dhNext.baseAddress!, cRow: H, accumulate: false)
                }
            }
            // dW_ih = Xᵀ·dZ and dW_hh = H_{t−1}ᵀ·dZ over all T·B rows (step 0 has h_{−1} = 0).
            MatrixProduct.multiply(m: inSize, n: G, depth: T * B, a: .init(base: xs.baseAddress!, rowStride: 1, columnStride: inSize),
                                   w: dz, wRow: G, c: gwx, cRow: G, accumulate: false)
            MatrixProduct.multiply(m: H, n: G, depth: (T - 1) * B, a: .init(base: hs.baseAddress!, rowStride: 1, columnStride: H),
                                   w: dz + B * G, wRow: G, c: gwh, cRow: G, accumulate: false)
            LSTMKernels.sumRows(dz, rows: T * B, columns: G, into: gb)
            if k > 0 {  // the gradient towards the layer below's outputs
                MatrixProduct.multiply(m: T * B, n: inSize, depth: G, a: .init(base: dz, rowStride: G, columnStride: 1),
                                       w: wxRows.baseAddress!, wRow: inSize, c: dIn.baseAddress!, cRow: inSize, accumulate: false)
            }
        }}        }}}}}}}}}}}
    }
}
