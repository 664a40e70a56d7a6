#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread outside Swift's cooperative pool: for work that must not wait for, or
/// occupy, a pool thread (the shutdown countdown, replay's predictions ahead).
public enum PlainThread {
    /// Starts `body` on a new thread and returns it (join it, or pass `detached`), or nil when
    /// no thread could be made (then `body` has not run).
    @discardableResult
    public static func start(detached: Bool = false, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        guard pthread_create(&thread, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context) == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        if detached { pthread_detach(thread) }
        return thread
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
