import Foundation

/// Finishes a login once a code is in hand: exchanges it, asks whose token it is, and stores the
/// account. The one path the full-screen app and `bbtui login --no-tui` share.
public enum LoginCompletion {
    /// What a finished login produced.
    public struct Result: Sendable {
        /// The stored account (now the active one).
        public var account: StoredAccount
        /// The profile fetched to learn who logged in.
        public var user: User
    }

    /// Exchanges `code` (from `request`'s attempt), probes `/user` with the new token, and saves
    /// the account, keyed by the user's UUID. The probe goes through the sessions' own stack
    /// (`AccountSession.client`): counted in `ledger`, retried like any request.
    public static func complete(
        code: String,
        request: AuthorizationRequest,
        configuration: OAuthConfiguration,
        transport: any HTTPTransport,
        store: TokenStore,
        ledger: RequestLedger? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) async throws -> Result {
        let token = try await TokenClient(configuration: configuration, transport: transport, now: now).exchange(
            code: code, for: request)
        let probe = AccountSession.client(
            over: transport, tokens: StaticTokenSource(token), apiURL: configuration.apiURL, ledger: ledger)
        let user = try await probe.currentUser()
        let account = StoredAccount(
            id: user.uuid, username: user.handle, displayName: user.displayName, configuration: configuration,
            token: token)
        try store.save(account)
        return Result(account: account, user: user)
    }
}
