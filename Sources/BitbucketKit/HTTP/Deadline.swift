import Synchronization

/// Runs work with a hard time limit that holds even when the work ignores cancellation.
///
/// A server that drips one byte a second keeps every per-read timeout happy forever; only a
/// deadline on the whole exchange ends it. The work is cancelled when time runs out, and the
/// caller is answered at once: it never waits for work that does not stop promptly.
public enum Deadline {
    /// Returns `body`'s result, or throws `timeout()` once `limit` has passed.
    public static func run<T: Sendable>(
        within limit: Duration,
        timeout: @escaping @Sendable () -> any Error,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation: continuation, limit: limit, timeout: timeout, body: body)
            }
        } onCancel: {
            race.cancel()
        }
    }

    /// The shared state of one race: whoever finishes first answers, once.
    private final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var work: Task<Void, Never>?
            var timer: Task<Void, Never>?
            var isCancelled = false
        }

        private let state = Mutex(State())

        func start(
            continuation: CheckedContinuation<T, any Error>, limit: Duration,
            timeout: @escaping @Sendable () -> any Error, body: @escaping @Sendable () async throws -> T
        ) {
            let cancelledEarly = state.withLock { state -> Bool in
                state.continuation = continuation
                return state.isCancelled
            }
            if cancelledEarly {
                finish(.failure(CancellationError()))
                return
            }
            let work = Task {
                do {
                    finish(.success(try await body()))
                } catch {
                    finish(.failure(error))
                }
            }
            let timer = Task {
                do {
                    try await Task.sleep(for: limit)
                } catch {
                    return
                }
                finish(.failure(timeout()))
            }
            state.withLock { state in
                state.work = work
                state.timer = timer
            }
        }

        func cancel() {
            state.withLock { $0.isCancelled = true }
            finish(.failure(CancellationError()))
        }

        private func finish(_ result: Result<T, any Error>) {
            let (continuation, work, timer) = state.withLock { state in
                defer { state.continuation = nil }
                return (state.continuation, state.work, state.timer)
            }
            guard let continuation else { return }
            work?.cancel()
            timer?.cancel()
            continuation.resume(with: result)
        }
    }
}
