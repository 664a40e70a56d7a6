#if canImport(Glibc)
import Glibc
#endif

/// The arithmetic of one LSTM step, on raw pointers (see the legend in LSTMShape.swift).
/// Kernels are [rows × G] row-major; loops over G are contiguous.
enum LSTMKernels {
    /// z = bx + bh + Σ_j x[j]·wx[j,:] + Σ_j h[j]·wh[j,:]   (z: [G], wx: [in × G], wh: [H × G])
    @inline(__always)
    static func gatesPreactivation(z: UnsafeMutablePointer<Float>, G: Int, x: UnsafePointer<Float>, inSize: Int,
                                   wx: UnsafePointer<Float>, h: UnsafePointer<Float>, H: Int, wh: UnsafePointer<Float>,
                                   bx: UnsafePointer<Float>, bh: UnsafePointer<Float>) {
        for r in 0..<G { z[r] = bx[r] + bh[r] }
        for j in 0..<inSize {
            let v = x[j], row = wx + j * G
            for r in 0..<G { z[r] += v * row[r] }
        }
        for j in 0..<H {
            let v = h[j], row = wh + j * G
            for r in 0..<G { z[r] += v * row[r] }
        }
    }

    /// Activates z in place (i, f, o sigmoid; g tanh) and computes c, tanh(c), h, eight
    /// hidden units at a time.
    @inline(__always)
    static func cellUpdate(z: UnsafeMutablePointer<Float>, H: Int, cPrev: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        var j = 0
        while j < H {
            let n = min(8, H - j)
            let i = VectorMath.sigmoid(VectorMath.load(z + j, n))
            let f = VectorMath.sigmoid(VectorMath.load(z + H + j, n))
            let g = VectorMath.tanh(VectorMath.load(z + 2 * H + j, n))
            let o = VectorMath.sigmoid(VectorMath.load(z + 3 * H + j, n))
            let cell = f * VectorMath.load(cPrev + j, n) + i * g
            let tc = VectorMath.tanh(cell)
            VectorMath.store(i, z + j, n)
            VectorMath.store(f, z + H + j, n)
            VectorMath.store(g, z + 2 * H + j, n)
            VectorMath.store(o, z + 3 * H + j, n)
            VectorMath.store(cell, c + j, n)
            VectorMath.store(tc, tanhC + j, n)
            VectorMath.store(o * tc, h + j, n)
            j += 8
        }
    }

    /// logits = bias + weight · h (weight [C × H], PyTorch layout); numerically stable softmax.
    @inline(__always)
    static func head(h: UnsafePointer<Float>, H: Int, C: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                     logits: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>) {
        var largest = -Float.infinity
        for cls in 0..<C {
            var sum = bias[cls]
            let row = weight + cls * H
            for j in 0..<H { sum += row[j] * h[j] }
            logits[cls] = sum
            largest = max(largest, sum)
        }
        var total: Float = 0
        for cls in 0..<C {
            let e = expf(logits[cls] - largest)
            probabilities[cls] = e
            total += e
        }
        for cls in 0..<C { probabilities[cls] /= total }
    }

    /// One step of BPTT through the cell: from dh (arriving output gradient + the later step's
    /// dh) and dc of the later step, the gate pre-activation gradient dz [G]; updates dcNext.
    @inline(__always)
    static func cellBackward(H: Int, dOut: UnsafePointer<Float>, dhNext: UnsafePointer<Float>, dcNext: UnsafeMutablePointer<Float>,
                             gates: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                             dz: UnsafeMutablePointer<Float>) {
        for j in 0..<H {
            let i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j]
            let dh = dOut[j] + dhNext[j]
            let tc = tanhC[j]
            let dOutputGate = dh * tc
            let dc = dcNext[j] + dh * o * (1 - tc * tc)
            dcNext[j] = dc * f
            dz[j] = dc * g * i * (1 - i)
            dz[H + j] = dc * cPrev[j] * f * (1 - f)
            dz[2 * H + j] = dc * i * (1 - g * g)
            dz[3 * H + j] = dOutputGate * o * (1 - o)
        }
    }

    /// grad[j,:] += vector[j] · dz   (grad: [rows × G])
    @inline(__always)
    static func accumulateOuter(into grad: UnsafeMutablePointer<Float>, rows: Int, G: Int, vector: UnsafePointer<Float>, dz: UnsafePointer<Float>) {
        for j in 0..<rows {
            let v = vector[j], row = grad + j * G
            for r in 0..<G { row[r] += v * dz[r] }
        }
    }

    /// out[j] = Σ_r kernel[j, r] · dz[r]   (the gradient flowing to the step's input or h_{t−1})
    @inline(__always)
    static func matVec(kernel: UnsafePointer<Float>, rows: Int, G: Int, dz: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
        for j in 0..<rows {
            out[j] = VectorMath.dot(kernel + j * G, dz, G)
        }
    }
}
