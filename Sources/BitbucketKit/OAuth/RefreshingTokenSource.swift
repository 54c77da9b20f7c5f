import Foundation

/// The account's token, refreshed ahead of expiry and after a 401.
///
/// Concurrent callers share one refresh (the in-flight task is kept, since an actor is re-entrant
/// at `await`). Across processes, the refresh runs under the store's lock and first re-reads the
/// stored pair: when another process has refreshed meanwhile, its token is adopted and no second
/// refresh is sent, so a rotating refresh token is never spent twice. The new pair is written to
/// the store before anyone uses it.
public actor RefreshingTokenSource: TokenSource {
    private let accountID: String
    private let store: TokenStore
    private let client: TokenClient
    private let now: @Sendable () -> Date
    private let leeway: TimeInterval
    private var current: Token
    private var inFlight: Task<Token, any Error>?

    /// Creates a source for a stored account.
    public init(
        account: StoredAccount, store: TokenStore, client: TokenClient, leeway: TimeInterval = 60,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        accountID = account.id
        current = account.token
        self.store = store
        self.client = client
        self.leeway = leeway
        self.now = now
    }

    /// The token as last known, without refreshing (for showing its expiry).
    public var currentToken: Token { current }

    public func token() async throws -> Token {
        if !current.needsRefresh(at: now(), leeway: leeway) { return current }
        return try await sharedRefresh(rejected: current.accessToken)
    }

    public func refresh(rejecting token: Token) async throws -> Token {
        if token.accessToken != current.accessToken, !current.needsRefresh(at: now(), leeway: leeway) { return current }
        return try await sharedRefresh(rejected: token.accessToken)
    }

    private func sharedRefresh(rejected: String) async throws -> Token {
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.refreshUnderLock(rejected: rejected) }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        current = fresh
        return fresh
    }

    private nonisolated func refreshUnderLock(rejected: String) async throws -> Token {
        try await store.withRefreshLock {
            guard let stored = try store.account(id: accountID) else {
                throw OAuthError.loginRequired("This account was logged out.")
            }
            // Another process (or an earlier run) already refreshed: use its token.
            if stored.token.accessToken != rejected, !stored.token.needsRefresh(at: now(), leeway: leeway) {
                return stored.token
            }
            if stored.token.isAPIToken {
                throw OAuthError.loginRequired(
                    "Bitbucket refused the API token: it expired or was revoked. Make a new one at \(OAuthError.apiTokenPage) (app: Bitbucket, with the read scopes), then run `bbtui login --api-token`."
                )
            }
            guard let refreshToken = stored.token.refreshToken else {
                throw OAuthError.loginRequired("The access token expired and there is no refresh token.")
            }
            // A record that a refresh is in flight, written before the request: if this process
            // is killed before the answer is stored, the next one can say what happened.
            let startedAt = now()
            try store.markRefreshStarted(at: startedAt, accountID: accountID)
            do {
                // From the request to the commit, a terminating signal waits for the commit.
                return try await TokenCommitGuard.withWindow {
                    var fresh = try await client.refresh(refreshToken)
                    if fresh.refreshToken == nil { fresh.refreshToken = refreshToken }
                    try store.updateToken(fresh, accountID: accountID)
                    return fresh
                }
            } catch OAuthError.invalidGrant(let detail) {
                // An earlier refresh that never reached the store explains a dead refresh token.
                if let interrupted = stored.refreshStartedAt {
                    throw OAuthError.refreshInterrupted(at: interrupted, detail: detail)
                }
                try? store.clearRefreshStarted(accountID: accountID)
                throw OAuthError.invalidGrant(detail)
            } catch let error as OAuthError where !error.mayHaveReachedServer {
                // Bitbucket answered and kept the token: nothing was replaced.
                try? store.clearRefreshStarted(accountID: accountID, ifStartedAt: startedAt)
                throw error
            }
        }
    }
}
