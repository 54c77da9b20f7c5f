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

    /// Logs in with an Atlassian API token: probes `/user` with it (HTTP Basic, the email as the
    /// user name) and saves the account. Nothing is exchanged and nothing will be refreshed.
    public static func complete(
        apiToken: String, email: String, apiURL: URL, transport: any HTTPTransport, store: TokenStore,
        ledger: RequestLedger? = nil
    ) async throws -> Result {
        let token = Token.apiToken(apiToken, email: email)
        let configuration = OAuthConfiguration.apiToken(email: email, apiURL: apiURL)
        let probe = AccountSession.client(
            over: transport, tokens: StaticTokenSource(token), apiURL: apiURL, ledger: ledger)
        let user: User
        do {
            user = try await probe.currentUser()
        } catch .unauthorized {
            throw APITokenRefused()
        }
        let account = StoredAccount(
            id: user.uuid, username: user.handle, displayName: user.displayName, configuration: configuration,
            token: token)
        try store.save(account)
        return Result(account: account, user: user)
    }
}

/// Bitbucket answered 401 to a new API token: a wrong email or token, or one already expired.
public struct APITokenRefused: Error, CustomStringConvertible {
    public init() {}
    public var description: String {
        "Bitbucket refused the email and API token (HTTP 401). Check the email (your Atlassian account's) and the token, which must be one made for Bitbucket at \(OAuthError.apiTokenPage), not expired."
    }
}
