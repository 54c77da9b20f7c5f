/// Retries idempotent requests on network errors, 5xx and 429, with exponential backoff and
/// full jitter, a bounded number of times.
///
/// Only `GET` and `HEAD` are retried: the token `POST` spends a single-use code or a rotating
/// refresh token, and sending it twice blindly could burn it. A 429 from Bitbucket carries no
/// `Retry-After`, so backoff is the only signal; `onRetry` lets the UI say "rate limited,
/// retrying in 4 s".
public struct RetryingTransport: HTTPTransport {
    /// What the caller hears before each retry.
    public struct RetryNotice: Sendable, Equatable {
        public var attempt: Int
        public var delay: Duration
        /// The status that caused the retry, or nil for a network error.
        public var status: Int?
    }

    private let base: any HTTPTransport
    private let maxAttempts: Int
    private let initialDelay: Duration
    private let maxDelay: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let jitter: @Sendable (Duration) -> Duration
    private let onRetry: @Sendable (RetryNotice) -> Void

    /// Creates a retrying transport.
    /// - Parameters:
    ///   - maxAttempts: total attempts, the first included.
    ///   - sleep: injected so tests do not wait.
    ///   - jitter: maps the backoff ceiling to the actual delay (full jitter by default).
    public init(
        _ base: any HTTPTransport,
        maxAttempts: Int = 4,
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(8),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable (Duration) -> Duration = { ceiling in
            .milliseconds(
                Int64.random(in: ceiling.milliseconds / 2...max(ceiling.milliseconds / 2, ceiling.milliseconds)))
        },
        onRetry: @escaping @Sendable (RetryNotice) -> Void = { _ in }
    ) {
        self.base = base
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.sleep = sleep
        self.jitter = jitter
        self.onRetry = onRetry
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let isIdempotent = request.method == "GET" || request.method == "HEAD"
        var attempt = 1
        while true {
            let outcome: Result<HTTPResponse, any Error>
            do {
                outcome = .success(try await base.send(request))
            } catch {
                outcome = .failure(error)
            }
            let retryable: Bool
            var status: Int?
            switch outcome {
            case .success(let response):
                status = response.status
                retryable = response.status == 429 || (500...599).contains(response.status)
            case .failure(let error):
                let kind = (error as? TransportError)?.kind
                // bbtui's own refusals (the hour's request budget is spent) are final.
                retryable =
                    !(error is CancellationError) && !(error is APIError) && kind != .insecureURL
                    && kind != .responseTooLarge
            }
            // A request that ran into its whole deadline is tried once more at most: a server that
            // does not answer in 30 s rarely answers in the next 30.
            let timedOut = (try? outcome.get()) == nil && ((outcome.failureValue as? TransportError)?.kind == .timedOut)
            guard isIdempotent, retryable, attempt < (timedOut ? min(2, maxAttempts) : maxAttempts), !Task.isCancelled
            else { return try outcome.get() }
            let ceiling = min(maxDelay, initialDelay * Int(1 << min(attempt - 1, 16)))
            let delay = jitter(ceiling)
            onRetry(RetryNotice(attempt: attempt, delay: delay, status: status))
            try await sleep(delay)
            attempt += 1
        }
    }
}

extension Result {
    /// The error, when this is a failure.
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
