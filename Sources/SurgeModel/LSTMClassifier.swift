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
    public func forward(_ x: [Float], workspace ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, F = shape.features
        precondition(x.count == B * T * F, "x must be [B × T × F]")
        ws.input = x
        parameters.values.withUnsafeBufferPointer { p in
            for k in 0..<shape.layers {
                layerForward(k, p, input: x, inputIsBatchFirst: k == 0, ws)
            }
            headForward(p, ws)
        }
    }

    /// One layer over the whole window. Input of layer 0 is x [B × T × F]; of layer k > 0 the
    /// layer below's outputs [T × B × H].
    private func layerForward(_ k: Int, _ p: UnsafeBufferPointer<Float>, input: [Float], inputIsBatchFirst: Bool, _ ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, G = shape.gates, inSize = shape.inputSize(layer: k)
        let wx = p.baseAddress! + offsets.inputKernel[k]      // [in × G]
        let wh = p.baseAddress! + offsets.recurrentKernel[k]  // [H × G]
        let bx = p.baseAddress! + offsets.inputBias[k]        // [G]
        let bh = p.baseAddress! + offsets.recurrentBias[k]    // [G]
        let below = k > 0 ? ws.h[k - 1] : input
        below.withUnsafeBufferPointer { inputs in
            ws.h[k].withUnsafeMutableBufferPointer { hs in
            ws.c[k].withUnsafeMutableBufferPointer { cs in
            ws.tanhC[k].withUnsafeMutableBufferPointer { tcs in
            ws.gates[k].withUnsafeMutableBufferPointer { gs in
            ws.zeros.withUnsafeBufferPointer { zero in
                for t in 0..<T {
                    for b in 0..<B {
                        let inputRow: Int = inputIsBatchFirst ? b * T + t : t * B + b
                        let xt: UnsafePointer<Float> = inputs.baseAddress! + inputRow * inSize
                        let row: Int = t * B + b
                        let hPrev: UnsafePointer<Float> = t == 0 ? zero.baseAddress! + b * H : UnsafePointer(hs.baseAddress! + (row - B) * H)
                        let cPrev: UnsafePointer<Float> = t == 0 ? zero.baseAddress! + b * H : UnsafePointer(cs.baseAddress! + (row - B) * H)
                        let z = gs.baseAddress! + row * G
                        LSTMKernels.gatesPreactivation(z: z, G: G, x: xt, inSize: inSize, wx: wx, h: hPrev, H: H, wh: wh, bx: bx, bh: bh)
                        LSTMKernels.cellUpdate(z: z, H: H, cPrev: cPrev, c: cs.baseAddress! + row * H,
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
        for (b, y) in labels.enumerated() {
            let w = Double(classWeights?[y] ?? 1)
            total += -w * Double(logf(max(ws.probabilities[b * C + y], Float.leastNormalMagnitude)))
            weightSum += w
        }
        return Float(total / weightSum)
    }

    /// Gradients of `loss(labels:classWeights:)` for every parameter, by backpropagation
    /// through time over the window; `forward` must have run on this workspace. `gradients`
    /// is overwritten (same layout as the parameters).
    public func backward(labels: [Int], classWeights: [Float]? = nil, workspace ws: LSTMWorkspace, gradients: inout LSTMParameters) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, C = shape.classes, top = shape.layers - 1
        precondition(labels.count == B, "one label per window")
        precondition(gradients.shape == shape)
        let weightSum = labels.reduce(Float(0)) { $0 + (classWeights?[$1] ?? 1) }
        gradients.values.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
            parameters.values.withUnsafeBufferPointer { p in
                // Head: dlogits = (softmax − onehot) · w_y / Σw; the top layer's dh at T−1.
                ws.dOutput.withUnsafeMutableBufferPointer { dOut in
                    dOut.update(repeating: 0)
                    ws.h[top].withUnsafeBufferPointer { hs in
                        for b in 0..<B {
                            let scale = (classWeights?[labels[b]] ?? 1) / weightSum
                            let last = hs.baseAddress! + ((T - 1) * B + b) * H
                            let dh = dOut.baseAddress! + ((T - 1) * B + b) * H
                            for cls in 0..<C {
                                let d = (ws.probabilities[b * C + cls] - (cls == labels[b] ? 1 : 0)) * scale
                                g[offsets.headBias + cls] += d
                                let wRow = p.baseAddress! + offsets.headWeight + cls * H
                                let gRow = g.baseAddress! + offsets.headWeight + cls * H
                                for j in 0..<H {
                                    gRow[j] += d * last[j]
                                    dh[j] += d * wRow[j]
                                }
                            }
                        }
                    }
                }
                for k in stride(from: top, through: 0, by: -1) {
                    layerBackward(k, p, g, ws)
                    if k > 0 { swap(&ws.dOutput, &ws.dInput) }
                }
            }
            // PyTorch's two biases get the same gradient (both are added to z).
            for k in 0..<shape.layers {
                let from = g.baseAddress! + offsets.inputBias[k], to = g.baseAddress! + offsets.recurrentBias[k]
                to.update(from: from, count: shape.gates)
            }
        }
    }

    private func layerBackward(_ k: Int, _ p: UnsafeBufferPointer<Float>, _ g: UnsafeMutableBufferPointer<Float>, _ ws: LSTMWorkspace) {
        let B = ws.batch, T = ws.steps, H = shape.hidden, G = shape.gates, inSize = shape.inputSize(layer: k)
        let wx = p.baseAddress! + offsets.inputKernel[k], wh = p.baseAddress! + offsets.recurrentKernel[k]
        let gwx = g.baseAddress! + offsets.inputKernel[k], gwh = g.baseAddress! + offsets.recurrentKernel[k]
        let gb = g.baseAddress! + offsets.inputBias[k]
        let inputs = k > 0 ? ws.h[k - 1] : nil
        LSTMKernels.transpose(wx, rows: inSize, columns: G, into: &ws.inputKernelRows[k])
        LSTMKernels.transpose(wh, rows: H, columns: G, into: &ws.recurrentKernelRows[k])
        ws.dhNext.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        ws.dcNext.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        ws.dInput.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        withInput(k, inputs, ws) { xs, batchFirst in
        ws.h[k].withUnsafeBufferPointer { hs in
        ws.c[k].withUnsafeBufferPointer { cs in
        ws.tanhC[k].withUnsafeBufferPointer { tcs in
        ws.gates[k].withUnsafeBufferPointer { gs in
        ws.dOutput.withUnsafeBufferPointer { dOut in
        ws.dInput.withUnsafeMutableBufferPointer { dIn in
        ws.dhNext.withUnsafeMutableBufferPointer { dhNext in
        ws.dcNext.withUnsafeMutableBufferPointer { dcNext in
        ws.dz.withUnsafeMutableBufferPointer { dz in
        ws.zeros.withUnsafeBufferPointer { zero in
        ws.inputKernelRows[k].withUnsafeBufferPointer { wxRows in
        ws.recurrentKernelRows[k].withUnsafeBufferPointer { whRows in
            for t in stride(from: T - 1, through: 0, by: -1) {
                // Every window's gate gradient at step t first ...
                for b in 0..<B {
                    let row = t * B + b
                    let cPrev: UnsafePointer<Float> = t == 0 ? zero.baseAddress! + b * H : cs.baseAddress! + (row - B) * H
                    LSTMKernels.cellBackward(
                        H: H, dOut: dOut.baseAddress! + row * H, dhNext: dhNext.baseAddress! + b * H,
                        dcNext: dcNext.baseAddress! + b * H, gates: gs.baseAddress! + row * G,
                        tanhC: tcs.baseAddress! + row * H, cPrev: cPrev, dz: dz.baseAddress! + b * G)
                }
                // ... then each gradient row is updated once for the whole batch ...
                let xt: UnsafePointer<Float> = batchFirst ? xs.baseAddress! + t * inSize : xs.baseAddress! + t * B * inSize
                let xStride = batchFirst ? T * inSize : inSize
                LSTMKernels.accumulateOuterBatch(into: gwx, rows: inSize, G: G, vectors: xt, vectorStride: xStride, batch: B, dz: dz.baseAddress!)
                if t > 0 {
                    LSTMKernels.accumulateOuterBatch(into: gwh, rows: H, G: G, vectors: hs.baseAddress! + (t - 1) * B * H,
                                                     vectorStride: H, batch: B, dz: dz.baseAddress!)
                }
                for b in 0..<B {
                    let dzb = dz.baseAddress! + b * G
                    for r in 0..<G { gb[r] += dzb[r] }
                }
                // ... and the gradients flowing to the input and to h_{t−1} per window.
                for b in 0..<B {
                    let row = t * B + b, dzb = dz.baseAddress! + b * G
                    if k > 0 { LSTMKernels.rowsTimes(dzb, rows: wxRows.baseAddress!, G: G, width: inSize, out: dIn.baseAddress! + row * inSize) }
                    LSTMKernels.rowsTimes(dzb, rows: whRows.baseAddress!, G: G, width: H, out: dhNext.baseAddress! + b * H)
                }
            }
        }}        }}}}}}}}}}}
    }

    /// The input sequence of layer k as a buffer: x (batch-first) for layer 0, else the layer
    /// below's outputs (time-major).
    private func withInput(_ k: Int, _ below: [Float]?, _ ws: LSTMWorkspace, _ body: (UnsafeBufferPointer<Float>, Bool) -> Void) {
        if let below {
            below.withUnsafeBufferPointer { body($0, false) }
        } else {
            ws.input.withUnsafeBufferPointer { body($0, true) }
        }
    }
}
