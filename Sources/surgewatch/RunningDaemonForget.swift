import ArgumentParser
import Glibc
import SurgeConfig
import SurgeJournal
import SurgeSampling
import SurgeStore

/// `surgewatch forget --yes` beside a running daemon: the request goes in a file beside the
/// database, SIGUSR1 wakes the daemon, which forgets the span between two ticks and answers
/// in a file (ForgetRequest). This waits for the answer and says it; the daemon's own journal
/// entry is the catalogued one.
struct RunningDaemonForget {
    let path: String
    let pid: Int32
    let from: Double
    let to: Double
    /// The daemon takes the request before its next tick: two ticks and a margin is ample.
    let interval: Duration

    func ask() throws {
        let requestPath = ForgetRequest.requestPath(database: path)
        let answerPath = ForgetRequest.answerPath(database: path)
        let span = "\(RFC3339.format(from)) to \(RFC3339.format(to))"
        let wait = 2 * interval.seconds + 10
        // One request at a time: another forget's, still within its wait, is not overwritten;
        // one older than that was left by a forget that stopped waiting, and is replaced.
        var request = stat()
        if stat(requestPath, &request) == 0, Double(time(nil)) - Double(request.st_mtim.tv_sec) < wait {
            throw ToolFailure("another surgewatch forget is waiting for the running surgewatch (pid \(pid)) to answer its request "
                              + "(\(requestPath)); run this again once it has; nothing was changed")
        }
        unlink(answerPath)  // one left by an earlier request that gave up waiting
        do {
            try ForgetRequest.write(ForgetRequest.requestText(from: from, to: to), to: requestPath)
        } catch {
            throw ToolFailure("cannot write the request for the running surgewatch (pid \(pid)): \(error); nothing was changed")
        }
        guard kill(pid, SIGUSR1) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(requestPath)
            throw ToolFailure("cannot signal the running surgewatch (pid \(pid)): \(reason); nothing was changed")
        }
        // At ticks of minutes the answer can take that long: say what is being waited for.
        writeAll("asked the running surgewatch (pid \(pid)) to forget \(span) before its next tick; waiting for its answer\n", to: STDERR_FILENO)
        if let answer = awaitAnswer(at: answerPath, seconds: wait) {
            try say(answer, span: span)
            return
        }
        // Not taken in time: withdrawn, unless the daemon took it meanwhile (then it answers soon).
        if unlink(requestPath) == 0 {
            throw ToolFailure("the running surgewatch (pid \(pid)) did not take the request in \(DurationText.format(seconds: wait)) "
                              + "(is it stalled? journalctl -u surgewatch); it was withdrawn and nothing was changed")
        }
        guard let late = awaitAnswer(at: answerPath, seconds: 30) else {
            print("\(path), \(span): the running surgewatch (pid \(pid)) took the request but has not answered yet; journalctl -u surgewatch says what it forgot")
            return
        }
        try say(late, span: span)
    }

    private func awaitAnswer(at answerPath: String, seconds: Double) -> String? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            // Written whole (renamed into place), so once there it is complete.
            if let answer = try? ForgetRequest.read(answerPath) {
                unlink(answerPath)
                return String(answer.split(separator: "\n").first ?? "")
            }
            usleep(50_000)
        }
        return nil
    }

    private func say(_ answer: String, span: String) throws {
        if answer.hasPrefix("error: ") {
            throw ToolFailure("\(path), \(span): the running surgewatch (pid \(pid)) says: \(answer.dropFirst(7))")
        }
        print("\(path), \(span): \(answer) The running surgewatch (pid \(pid)) forgot it and started its pipeline again from what stays.")
    }
}
