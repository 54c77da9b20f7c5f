import Foundation

/// Everything needed to talk to the API as one stored account: its refreshing token source and
/// a client whose requests carry the token, are retried when idempotent, and refresh on 401.
///
/// `AccountSession.client(…)` is the one place that stacks ledger → retrying transport →
/// authorized transport → client: sessions use it, and so does the login's first request. Make
/// one session per account per process (a `SessionFactory` does), so concurrent requests share
/// one refresh.
public struct AccountSession: Sendable {
    /// The account, as loaded from the store.
    public let account: StoredAccount
    /// The account's token, refreshed ahead of expiry and after a 401.
    public let tokens: RefreshingTokenSource
    /// The API client.
    public let client: BitbucketClient
    /// What this consumer has spent of Bitbucket's hourly request limit (nil: not counted).
    public let ledger: RequestLedger?

    /// The ledger bbtui keeps for a consumer under `paths`.
    public static func ledger(
        clientID: String, paths: StorePaths, limit: Int = RequestLedger.hourlyLimit,
        now: @escaping @Sendable () -> Date = Date.init
    ) -> RequestLedger {
        RequestLedger(directory: paths.cacheDirectory, clientID: clientID, limit: limit, now: now)
    }

    /// The ledger bbtui keeps for `account`'s consumer under `paths`.
    public static func ledger(
        for account: StoredAccount, paths: StorePaths, limit: Int = RequestLedger.hourlyLimit,
        now: @escaping @Sendable () -> Date = Date.init
    ) -> RequestLedger {
        ledger(clientID: account.configuration.clientID, paths: paths, limit: limit, now: now)
    }

    /// Builds the stack for `account` over `transport`; `onRetry` hears about each retry.
    public init(
        account: StoredAccount,
        store: TokenStore,
        transport: any HTTPTransport,
        now: @escaping @Sendable () -> Date = Date.init,
        ledger: RequestLedger? = nil,
        onRetry: @escaping @Sendable (RetryingTransport.RetryNotice) -> Void = { _ in }
    ) {
        self.account = account
        self.ledger = ledger
        tokens = RefreshingTokenSource(
            account: account, store: store,
            client: TokenClient(configuration: account.configuration, transport: transport, now: now), now: now)
        client = AccountSession.client(
            over: transport, tokens: tokens, apiURL: account.configuration.apiURL, ledger: ledger, onRetry: onRetry)
    }

    /// An API client over `transport` whose requests carry `tokens`' token: every request sent
    /// (retries included) is spent from the ledger, idempotent ones are retried, and a 401 asks
    /// the token source for a new token.
    public static func client(
        over transport: any HTTPTransport, tokens: any TokenSource, apiURL: URL, ledger: RequestLedger?,
        onRetry: @escaping @Sendable (RetryingTransport.RetryNotice) -> Void = { _ in }
    ) -> BitbucketClient {
        let budgeted: any HTTPTransport =
            ledger.map { BudgetedTransport(transport, ledger: $0, apiURL: apiURL) } ?? transport
        let retrying = RetryingTransport(budgeted, onRetry: onRetry)
        return BitbucketClient(
            transport: AuthorizedTransport(base: retrying, tokens: tokens, apiURL: apiURL), apiURL: apiURL)
    }
}

/// Makes the sessions and finishes the logins of one process: the token store, the transport,
/// and where the request ledgers live. Both front ends get theirs from `Startup`.
public struct SessionFactory: Sendable {
    let store: TokenStore
    let transport: any HTTPTransport
    /// Where the request ledgers live (nil: requests are not counted), and the hourly limit.
    let paths: StorePaths?
    let requestLimit: Int
    let now: @Sendable () -> Date

    /// Creates the factory.
    public init(
        store: TokenStore, transport: any HTTPTransport, paths: StorePaths? = nil,
        requestLimit: Int = RequestLedger.hourlyLimit, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.transport = transport
        self.paths = paths
        self.requestLimit = requestLimit
        self.now = now
    }

    /// Exchanges a code, learns whose token it is, and stores the account.
    public func completeLogin(
        code: String, request: AuthorizationRequest, configuration: OAuthConfiguration
    ) async throws -> LoginCompletion.Result {
        try await LoginCompletion.complete(
            code: code, request: request, configuration: configuration, transport: transport, store: store,
            ledger: ledger(clientID: configuration.clientID), now: now)
    }

    /// Logs in with an Atlassian API token (checked with one `GET /user`) and stores the account.
    public func completeLogin(apiToken: String, email: String, apiURL: URL) async throws -> LoginCompletion.Result {
        try await LoginCompletion.complete(
            apiToken: apiToken, email: email, apiURL: apiURL, transport: transport, store: store,
            ledger: ledger(clientID: OAuthConfiguration.apiToken(email: email, apiURL: apiURL).clientID))
    }

    /// A client for `account` with its token as stored: never refreshed, never counted (the
    /// checks right after a login must not set off a refresh or spend the hour's requests).
    public func probeClient(for account: StoredAccount) -> BitbucketClient {
        AccountSession.client(
            over: transport, tokens: StaticTokenSource(account.token), apiURL: account.configuration.apiURL,
            ledger: nil)
    }

    /// The API session for an account; `onRetry` hears about retries.
    public func session(
        for account: StoredAccount, onRetry: @escaping @Sendable (RetryingTransport.RetryNotice) -> Void = { _ in }
    ) -> AccountSession {
        AccountSession(
            account: account, store: store, transport: transport, now: now,
            ledger: ledger(clientID: account.configuration.clientID), onRetry: onRetry)
    }

    /// What Bitbucket says of a consumer's Key and Secret (`TokenClient.checkConsumer`).
    public func checkConsumer(_ configuration: OAuthConfiguration) async -> TokenClient.ConsumerCheck {
        await TokenClient(configuration: configuration, transport: transport, now: now).checkConsumer()
    }

    /// The server's clock, from the `Date` header of a plain GET to `url` (any status), or nil.
    public func serverDate(at url: URL) async -> Date? {
        guard let header = try? await transport.send(HTTPRequest(url: url)).headers["date"] else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: header)
    }

    /// Opens `url` as a browser would, without following the redirect; returns its `Location`.
    public func redirect(from url: URL) async throws -> String? {
        let response = try await transport.send(HTTPRequest(url: url))
        return (300...399).contains(response.status) ? response.headers["location"] : nil
    }

    private func ledger(clientID: String) -> RequestLedger? {
        paths.map { AccountSession.ledger(clientID: clientID, paths: $0, limit: requestLimit, now: now) }
    }
}
