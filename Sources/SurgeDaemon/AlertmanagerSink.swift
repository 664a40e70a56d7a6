import Glibc
import Logging
import SurgeConfig
import SurgeDetection
import SurgeSampling
import SurgeSources

/// Pushes alerts to the `[alertmanager]` URLs as they fire, escalate and resolve, the way
/// Prometheus' notifier does: every change is posted at once, open alerts again every `resend`,
/// resolved ones for 15 minutes more (`AlertmanagerAlerts`).
///
/// Each Alertmanager has a thread of its own that posts and waits, so a slow or dead one holds
/// up no tick and no other Alertmanager: `deliver` only records the event. A post that fails is
/// tried again after 1 s, then 2, 4 ... up to 30 s (or `resend`), and logged once, then at most
/// once a minute with a count, and once more when the Alertmanager takes alerts again; the
/// journal and the database have every alert meanwhile.
public final class AlertmanagerSink: AlertSink, @unchecked Sendable {
    public let name = "alertmanager"
    private let lock = ConditionLock()
    private let logger: Logger
    private let instance: String
    private let wallClock: @Sendable () -> Double
    // Guarded by `lock`.
    private var settings: SurgeConfig.Alertmanager
    private var alerts: AlertmanagerAlerts
    /// Counts changes to `alerts`; a target has sent them all when its `sentGeneration` equals it.
    private var generation = 0
    private var targets: [Target] = []
    private var stopping = false

    /// The most a failed post waits before it is tried again.
    static let longestRetry = 30.0
    /// Repeated failures are logged at most this often.
    static let quietPeriod = 60.0

    /// One Alertmanager's sender state; every field but the constants is guarded by the sink's lock.
    final class Target: @unchecked Sendable {
        let url: String
        let fetcher: HTTPFetcher
        var sentGeneration = -1
        var nextResend = 0.0
        var retryAt: Double?
        var retired = false
        var exited = false
        var triedSinceStop = false
        /// While posts fail: since when, how many, when last logged, how many since, the last error.
        var failing: (since: Double, attempts: Int, loggedAt: Double, unlogged: Int, error: String)?

        init(url: String, settings: SurgeConfig.Alertmanager) {
            self.url = url
            fetcher = HTTPFetcher(url: url, timeout: settings.timeout, maxBodyBytes: 64 << 10, contentType: "application/json",
                                  options: SourceFactory.options(settings.request))
        }
    }

    /// `instance`: the `instance` label, this host's name unless the config's labels set one.
    public init(settings: SurgeConfig.Alertmanager, instance: String = AlertmanagerSink.hostName(), logger: Logger,
                wallClock: @escaping @Sendable () -> Double = AlertmanagerSink.wallClockNow) {
        self.settings = settings
        self.instance = instance
        self.logger = logger
        self.wallClock = wallClock
        alerts = AlertmanagerAlerts(instance: instance, labels: settings.labels)
        lock.lock()
        startTargets()
        lock.unlock()
    }

    public func deliver(_ event: AlertEvent) {
        change { $0.apply(event) }
    }

    /// An alert the last run left open, which this start goes on with: sent again at once.
    public func resume(alertID: String, kind: AlertEvent.Kind, firedAt: Double, escalatedAt: Double?, summary: String) {
        change { $0.resume(alertID: alertID, kind: kind, firedAt: firedAt, escalatedAt: escalatedAt, summary: summary) }
    }

    /// A reload's `[alertmanager]`: other URLs, labels or request options take new senders,
    /// which post the alerts as they stand at once.
    public func configure(_ new: SurgeConfig.Alertmanager) {
        lock.lock()
        defer { lock.unlock() }
        guard new != settings else { return }
        settings = new
        for target in targets { target.retired = true }
        targets = []
        let kept = alerts.entries
        alerts = AlertmanagerAlerts(instance: instance, labels: new.labels)
        alerts.adopt(kept)
        generation += 1
        startTargets()
        lock.broadcast()
    }

    /// Lets each sender post what it has not yet sent once more, for up to `seconds`, then
    /// stops them all (a clean stop of the daemon; the last tick's resolve among them).
    public func stop(waitingUpTo seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        stopping = true
        lock.broadcast()
        let deadline = ConditionLock.monotonicNow() + seconds
        while targets.contains(where: { !$0.exited }), ConditionLock.monotonicNow() < deadline {
            lock.wait(until: deadline)
        }
        for target in targets { target.retired = true }
        lock.broadcast()
    }

    /// Waits up to `seconds` for every Alertmanager to take what was delivered so far; returns
    /// those that did not, with the reason (`surgewatch test-alert`, tests).
    public func waitUntilSent(within seconds: Double) -> [(url: String, error: String)] {
        lock.lock()
        defer { lock.unlock() }
        let deadline = ConditionLock.monotonicNow() + seconds
        while targets.contains(where: { $0.sentGeneration != generation }), ConditionLock.monotonicNow() < deadline {
            lock.wait(until: deadline)
        }
        return targets.filter { $0.sentGeneration != generation }
            .map { ($0.url, $0.failing?.error ?? "no answer within \(AlertMessage.duration(seconds))") }
    }

    /// For `systemctl status`: "alerts not reaching 1 of 2 Alertmanagers", or nil.
    public var trouble: String? {
        lock.lock()
        defer { lock.unlock() }
        let failing = targets.filter { $0.failing != nil }.count
        guard failing > 0 else { return nil }
        return targets.count == 1 ? "alerts not reaching the Alertmanager" : "alerts not reaching \(failing) of \(targets.count) Alertmanagers"
    }

    private func change(_ body: (inout AlertmanagerAlerts) -> Void) {
        lock.lock()
        body(&alerts)
        alerts.prune(now: wallClock())
        generation += 1
        lock.broadcast()
        lock.unlock()
    }

    /// Called with the lock held.
    private func startTargets() {
        for endpoint in settings.endpoints {
            let target = Target(url: endpoint, settings: settings)
            // Nothing to say yet: no post until the first alert (an empty one checks nothing).
            if alerts.isEmpty { target.sentGeneration = generation }
            if PlainThread.start(detached: true, { [self] in serve(target) }) == nil {
                logger.error("alerts will not be pushed to \(endpoint): no thread could be started for it")
                continue
            }
            targets.append(target)
        }
    }

    private func serve(_ target: Target) {
        nameThisThread("surgewatch-am")
        lock.lock()
        defer {
            target.exited = true
            lock.broadcast()
            lock.unlock()
        }
        while !target.retired {
            let now = ConditionLock.monotonicNow()
            let changed = target.sentGeneration != generation
            if stopping && (!changed || target.triedSinceStop) { return }
            let due: Double? = stopping ? now
                : changed ? (target.retryAt ?? now)
                : alerts.isEmpty ? nil : (target.retryAt ?? target.nextResend)
            guard let due, due <= now else {
                lock.wait(until: due)
                continue
            }
            if stopping { target.triedSinceStop = true }
            let wallNow = wallClock()
            alerts.prune(now: wallNow)
            let payload = alerts.payload(now: wallNow, validFor: 4 * settings.resend.seconds)
            let sending = generation
            let resend = settings.resend.seconds
            lock.unlock()
            let result = target.fetcher.postBlocking(payload)
            lock.lock()
            let after = ConditionLock.monotonicNow()
            switch result {
            case .success(let response) where (200..<300).contains(response.status):
                target.sentGeneration = sending
                target.nextResend = after + resend
                target.retryAt = nil
                if let failing = target.failing {
                    target.failing = nil
                    logger.notice("Alertmanager \(target.url) takes alerts again, after \(NumberText.counted(failing.attempts, "failed post")) over \(ProblemLog.span(after - failing.since))")
                }
            case .success(let response):
                failed(target, "answered \(response.status)\(Self.answerText(response.body))", at: after, resend: resend)
            case .failure(let error):
                // The error names the URL first, as the sources' logs need; the message here names it already.
                let text = "\(error)"
                failed(target, text.hasPrefix(target.url + ": ") ? String(text.dropFirst(target.url.count + 2)) : text, at: after, resend: resend)
            }
            lock.broadcast()
        }
    }

    /// Called with the lock held.
    private func failed(_ target: Target, _ error: String, at now: Double, resend: Double) {
        var failing = target.failing ?? (since: now, attempts: 0, loggedAt: -.infinity, unlogged: 0, error: error)
        failing.attempts += 1
        failing.error = error
        let wait = min(Self.longestRetry, resend, pow(2, Double(failing.attempts - 1)))
        target.retryAt = now + wait
        if now - failing.loggedAt >= Self.quietPeriod {
            let more = failing.unlogged > 0 ? " (\(failing.unlogged) more failed posts since last report)" : ""
            logger.warning("alerts not delivered to Alertmanager \(target.url): \(error); tried again in \(AlertMessage.duration(wait)), and the journal and the database have them\(more)",
                           metadata: ["alertmanager": "\(target.url)", "failures": "\(failing.attempts)"])
            failing.loggedAt = now
            failing.unlogged = 0
        } else {
            failing.unlogged += 1
        }
        target.failing = failing
    }

    /// ": <the first line of a refusal's body>", which says what the Alertmanager disliked.
    static func answerText(_ body: [UInt8]) -> String {
        let line = String(decoding: body.prefix(300), as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? "" : ": " + line
    }

    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func wallClockNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
