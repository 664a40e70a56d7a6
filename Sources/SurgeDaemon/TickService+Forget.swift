import Glibc
import SurgeConfig
import SurgeJournal
import SurgeSampling
import SurgeStore

extension TickService {
    /// `surgewatch forget` asked (SIGUSR1, ForgetRequest): the span goes from the database on
    /// the store's own connection, then the pipeline starts again from what the database holds
    /// after it, as a start would (the newest checkpoint that stays, online learning's memory
    /// recalled from the ticks that stay, the record of how p came true read again), without
    /// saving the running weights first: they learned from the span. The window and an open
    /// alert go on. The answer is a file beside the database, which `forget` waits for.
    /// Returns the new pipeline, or nil when nothing was forgotten or none could be built.
    func forgetAsked(config: SurgeConfig, schema: MetricSchema, running: DetectionStage) -> DetectionStage? {
        let requestPath = ForgetRequest.requestPath(database: store.path)
        let answerPath = ForgetRequest.answerPath(database: store.path)
        func answer(_ line: String) {
            do {
                try ForgetRequest.write(line + "\n", to: answerPath)
            } catch {
                logger.error("surgewatch forget: its answer could not be written: \(error)")
            }
        }
        let request: String?
        do {
            request = try ForgetRequest.read(requestPath)
        } catch {
            // Said to the waiting forget too, which would otherwise take the silence for a stall.
            logger.error("surgewatch forget: its request cannot be read: \(error); nothing forgotten")
            unlink(requestPath)
            answer("error: the request could not be read (\(error)); nothing was forgotten")
            return nil
        }
        guard let text = request else {
            logger.notice("SIGUSR1: no request from surgewatch forget at \(requestPath); nothing forgotten")
            return nil
        }
        unlink(requestPath)
        guard let span = ForgetRequest.span(in: text) else {
            logger.error("surgewatch forget: \(requestPath) holds no span (\"FROM TO\" in Unix seconds, FROM first); nothing forgotten")
            answer("error: the request held no span; nothing was forgotten")
            return nil
        }
        let asked = "\(RFC3339.format(span.from)) to \(RFC3339.format(span.to))"
        let forgotten: ForgottenSpan
        do {
            forgotten = try store.forget(from: span.from, to: span.to)
        } catch {
            logger.error("surgewatch forget: \(asked): the database: \(error); nothing forgotten")
            answer("error: the database: \(error); nothing was forgotten")
            return nil
        }
        let said = "forgot \(forgotten.summary); \(forgotten.resumption). Alerts are kept."
        do {
            let source = try ModelSource.choose(config: config, explicitPath: nil, stateDirectory: stateDirectory)
            let rebuilt = try DetectionStage(config: config, schema: schema, source: source, store: store, alerts: alerts,
                                             history: running.pipeline.window, openAlert: running.pipeline.alerts.open,
                                             tickInterval: interval(of: config), logger: logger)
            rebuilt.blind = running.blind
            // The catalogued entry `forget` itself sends when no daemon runs, with the same fields.
            logger.notice("surgewatch forget: \(store.path), \(asked): \(said) The pipeline started again from what stays",
                          metadata: ["message_id": "\(JournalLogHandler.MessageID.spanForgotten)", "database": "\(store.path)",
                                     "forgot_from": "\(RFC3339.format(span.from))", "forgot_to": "\(RFC3339.format(span.to))",
                                     "forgot_samples": "\(forgotten.samples)", "forgot_checkpoints": "\(forgotten.checkpoints)"])
            answer(said)
            return rebuilt
        } catch {
            running.savesNoCheckpoint = true
            logger.error("surgewatch forget: \(asked): \(said) But no pipeline could start from what stays: \(error); the running one goes on and saves no checkpoint")
            answer("error: \(said) But the daemon could not start its pipeline again from what stays (\(error)): it goes on without saving its weights; restart it to learn again")
            return nil
        }
    }
}
