import ArgumentParser
import SurgeModel

/// The LSTM engine at the shapes of reference/lstm/bench.py (T=30, F=12, H=32, 2 layers, train
/// batch 32), one thread: window inference B=1, one streaming step, one training step
/// (forward, loss, backward, Adam). Medians of many runs after warm-up.
struct LSTMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lstm",
        abstract: "LSTM engine speed: window inference, streaming step, training step.")

    @OptionGroup var workload: LSTMWorkload
    @Option(name: .customLong("n-infer")) var inferRuns = 3000
    @Option(name: .customLong("n-train")) var trainRuns = 300
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let (T, F, H, layers, trainBatch) = (workload.T, workload.F, workload.H, workload.layers, workload.trainBatch)
        let inputs = workload.make(seed: 1)
        let (shape, window, batchX, labels) = (inputs.shape, inputs.window, inputs.batch, inputs.labels)
        var model = inputs.model

        // Window inference, B = 1.
        let one = LSTMWorkspace(shape: shape, batch: 1, steps: T)
        var windowTimes: [Double] = []
        for run in 0..<(inferRuns + 300) {
            let start = wallMicroseconds()
            model.forward(window, workspace: one)
            if run >= 300 { windowTimes.append(wallMicroseconds() - start) }
        }
        var sink = one.probabilities[1]

        // Streaming step: timed in groups of 100 steps (one step is near the timer's grain).
        var stream = LSTMStream(model: model)
        var stepTimes: [Double] = []
        window.withUnsafeBufferPointer { all in
            let x = UnsafeBufferPointer(rebasing: all[0..<F])
            for group in 0..<(inferRuns / 10 + 30) {
                let start = wallMicroseconds()
                for _ in 0..<100 { sink += stream.step(x) }
                if group >= 30 { stepTimes.append((wallMicroseconds() - start) / 100) }
                if stream.steps > 10_000 { stream.reset() }
            }
        }

        // Training step, B = trainBatch.
        let batch = LSTMWorkspace(shape: shape, batch: trainBatch, steps: T)
        var gradients = LSTMParameters.zeros(shape)
        var adam = Adam(parameterCount: shape.parameterCount)
        var trainTimes: [Double] = []
        // The step's parts too (forward + loss, backward, Adam), to see where the time goes.
        var forwardTimes: [Double] = [], backwardTimes: [Double] = [], adamTimes: [Double] = []
        for run in 0..<(trainRuns + 30) {
            let start = wallMicroseconds()
            model.forward(batchX, workspace: batch)
            sink += model.loss(labels: labels, workspace: batch)
            let forwardEnd = wallMicroseconds()
            model.backward(labels: labels, workspace: batch, gradients: &gradients)
            let backwardEnd = wallMicroseconds()
            adam.update(&model.parameters, gradients: gradients)
            let end = wallMicroseconds()
            if run >= 30 {
                trainTimes.append(end - start)
                forwardTimes.append(forwardEnd - start)
                backwardTimes.append(backwardEnd - forwardEnd)
                adamTimes.append(end - backwardEnd)
            }
        }

        let windowMedian = Summary(windowTimes).median, stepMedian = Summary(stepTimes).median
        let trainMedian = Summary(trainTimes).median
        // FLOPs of the matrix products (2 per multiply-add); activations and the head are small.
        let macsPerStep = (0..<layers).reduce(0) { $0 + (shape.inputSize(layer: $1) + H) * shape.gates }
        let windowFlops = Double(2 * macsPerStep * T)
        let trainFlops = Double(trainBatch) * windowFlops * 3  // backward ≈ two more products per product
        let windowGflops = windowFlops / windowMedian / 1e3, trainGflops = trainFlops / trainMedian / 1e3
        let rss = Double(peakRSSKiB()) / 1024
        let peak = measuredArithmeticPeakGflops()
        let build = KernelBuild.name
        if json {
            print("""
            {"bench":"lstm","T":\(T),"F":\(F),"H":\(H),"layers":\(layers),"train_batch":\(trainBatch),\
            "window_infer_us":\(format(windowMedian)),"stream_step_us":\(format(stepMedian)),"train_step_us":\(format(trainMedian)),\
            "window_infer_us_p10":\(format(Summary(windowTimes).p10)),"train_step_us_p10":\(format(Summary(trainTimes).p10)),\
            "train_forward_us":\(format(Summary(forwardTimes).median)),"train_backward_us":\(format(Summary(backwardTimes).median)),\
            "train_adam_us":\(format(Summary(adamTimes).median)),\
            "window_gflops":\(format(windowGflops)),"train_gflops":\(format(trainGflops)),"peak_gflops":\(format(peak)),\
            "window_percent_of_peak":\(format(100 * windowGflops / peak)),"train_percent_of_peak":\(format(100 * trainGflops / peak)),\
            "build":"\(build)","peak_rss_mib":\(format(rss)),\
            "checksum":\(format(Double(sink)))}
            """)
        } else {
            print("LSTM T=\(T) F=\(F) H=\(H) layers=\(layers), \(shape.parameterCount) parameters, one thread")
            print("  window inference B=1: median \(format(windowMedian)) µs (\(format(windowGflops)) GFLOP/s)")
            print("  streaming step:       median \(format(stepMedian)) µs")
            print("  training step B=\(trainBatch):  median \(format(trainMedian)) µs (\(format(trainGflops)) GFLOP/s)")
            print("    of which forward + loss \(format(Summary(forwardTimes).median)) µs, backward \(format(Summary(backwardTimes).median)) µs, Adam \(format(Summary(adamTimes).median)) µs")
            print("  arithmetic peak of this build (one core): \(format(peak)) GFLOP/s; window \(format(100 * windowGflops / peak)) %, training \(format(100 * trainGflops / peak)) % of it")
            print("  build: \(build), peak RSS: \(format(rss)) MiB")
        }
    }
}
