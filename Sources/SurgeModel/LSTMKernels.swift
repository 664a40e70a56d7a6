#if canImport(Glibc)
import Glibc
#endif

/// The arithmetic of one LSTM step, on raw pointers (see the legend in LSTMShape.swift).
/// Kernels are [rows × G] row-major; loops over G are contiguous.
enum LSTMKernels {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

    /// Stores a 32-float block held in four accumulators.
    @inline(__always)
    static func store4(_ a0: V, _ a1: V, _ a2: V, _ a3: V, _ p: UnsafeMutablePointer<Float>) {
        let out = UnsafeMutableRawPointer(p)
        out.storeBytes(of: a0, as: V.self)
        out.storeBytes(of: a1, toByteOffset: 32, as: V.self)
        out.storeBytes(of: a2, toByteOffset: 64, as: V.self)
        out.storeBytes(of: a3, toByteOffset: 96, as: V.self)
    }

    /// z = bx + bh + Σ_j x[j]·wx[j,:] + Σ_j h[j]·wh[j,:]   (z: [G], wx: [in × G], wh: [H × G])
    ///
    /// Register-blocked: 32 columns of z stay in four SIMD8 accumulators across every input,
    /// so each multiply-add costs one load of the kernel instead of a load and a store of z too.
    @inline(__always)
    static func gatesPreactivation(z: UnsafeMutablePointer<Float>, G: Int, x: UnsafePointer<Float>, inSize: Int,
                                   wx: UnsafePointer<Float>, h: UnsafePointer<Float>, H: Int, wh: UnsafePointer<Float>,
                                   bx: UnsafePointer<Float>, bh: UnsafePointer<Float>) {
        var r = 0
        while r + 32 <= G {
            var a0 = load(bx + r) + load(bh + r), a1 = load(bx + r + 8) + load(bh + r + 8)
            var a2 = load(bx + r + 16) + load(bh + r + 16), a3 = load(bx + r + 24) + load(bh + r + 24)
            for j in 0..<inSize {
                let v = V(repeating: x[j]), row = wx + j * G + r
                a0 += v * load(row); a1 += v * load(row + 8); a2 += v * load(row + 16); a3 += v * load(row + 24)
            }
            for j in 0..<H {
                let v = V(repeating: h[j]), row = wh + j * G + r
                a0 += v * load(row); a1 += v * load(row + 8); a2 += v * load(row + 16); a3 += v * load(row + 24)
            }
            store4(a0, a1, a2, a3, z + r)
            r += 32
        }
        // The rest (G not a multiple of 32): column by column.
        while r < G {
            var sum = bx[r] + bh[r]
            for j in 0..<inSize { sum += x[j] * wx[j * G + r] }
            for j in 0..<H { sum += h[j] * wh[j * G + r] }
            z[r] = sum
            r += 1
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

    /// grad[j,:] += Σ_b vectors_b[j] · dz_b   (grad: [rows × G]; vectors_b at b·vectorStride;
    /// dz: [B × G]). The gradient row stays in registers across the batch: one load and one
    /// store of it per step instead of one per window.
    @inline(__always)
    static func accumulateOuterBatch(into grad: UnsafeMutablePointer<Float>, rows: Int, G: Int, vectors: UnsafePointer<Float>,
                                     vectorStride: Int, batch: Int, dz: UnsafePointer<Float>) {
        for j in 0..<rows {
            let row = grad + j * G
            var r = 0
            while r + 32 <= G {
                var a0 = load(row + r), a1 = load(row + r + 8), a2 = load(row + r + 16), a3 = load(row + r + 24)
                for b in 0..<batch {
                    let v = V(repeating: vectors[b * vectorStride + j]), d = dz + b * G + r
                    a0 += v * load(d); a1 += v * load(d + 8); a2 += v * load(d + 16); a3 += v * load(d + 24)
                }
                store4(a0, a1, a2, a3, row + r)
                r += 32
            }
            while r < G {
                var sum = row[r]
                for b in 0..<batch { sum += vectors[b * vectorStride + j] * dz[b * G + r] }
                row[r] = sum
                r += 1
            }
        }
    }

    /// out[:] = Σ_r dz[r] · rows[r, :]   (rows: [G × width], PyTorch's layout): the gradient
    /// flowing to a step's input or to h_{t−1}, with 32 outputs held in registers.
    @inline(__always)
    static func rowsTimes(_ dz: UnsafePointer<Float>, rows: UnsafePointer<Float>, G: Int, width: Int, out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 32 <= width {
            var a0 = V(repeating: 0), a1 = a0, a2 = a0, a3 = a0
            for r in 0..<G {
                let d = V(repeating: dz[r]), row = rows + r * width + j
                a0 += d * load(row); a1 += d * load(row + 8); a2 += d * load(row + 16); a3 += d * load(row + 24)
            }
            store4(a0, a1, a2, a3, out + j)
            j += 32
        }
        while j + 8 <= width {
            var a = V(repeating: 0)
            for r in 0..<G { a += V(repeating: dz[r]) * load(rows + r * width + j) }
            UnsafeMutableRawPointer(out + j).storeBytes(of: a, as: V.self)
            j += 8
        }
        while j < width {
            var sum: Float = 0
            for r in 0..<G { sum += dz[r] * rows[r * width + j] }
            out[j] = sum
            j += 1
        }
    }

    /// [rows × columns] → [columns × rows].
    static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: inout [Float]) {
        target.withUnsafeMutableBufferPointer { out in
            for j in 0..<rows {
                for r in 0..<columns { out[r * rows + j] = source[j * columns + r] }
            }
        }
    }
}
