import Foundation

/// Everything needed to talk to the API as one stored account: its refreshing token source and
/// a client whose requests carry the token, are retried when idempotent, and refresh on 401.
///
/// The one place that stacks token source → retrying transport → authorized transport → client,
/// used by the full-screen app and the command line alike. Make one per account per process, so
/// concurrent requests share one refresh.
public struct AccountSession: Sendable {
    /// The account, as loaded from the store.
    public let account: StoredAccount
    /// The account's token, refreshed ahead of expiry and after a 401.
    public let tokens: RefreshingTokenSource
    /// The API client.
    public let client: BitbucketClient
    /// What this consumer has spent of Bitbucket's hourly request limit (nil: not counted).
    public let ledger: RequestLedger?

    /// The ledger bbtui keeps for `account`'s consumer under `paths`.
    public static func ledger(
        for account: StoredAccount, paths: StorePaths, limit: Int = RequestLedger.hourlyLimit,
        now: @escaping @Sendable () -> Date = Date.init
    ) -> RequestLedger {
        RequestLedger(directory: paths.cacheDirectory, clientID: account.configuration.clientID, limit: limit, now: now)
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
        let configuration = account.configuration
        tokens = RefreshingTokenSource(
            account: account, store: store,
            client: TokenClient(configuration: configuration, transport: transport, now: now), now: now)
        // Every request actually sent (retries included) is spent from the consumer's hourly budget.
        let budgeted: any HTTPTransport =
            ledger.map { BudgetedTransport(transport, ledger: $0, apiURL: configuration.apiURL) } ?? transport
        let retrying = RetryingTransport(budgeted, onRetry: onRetry)
        client = BitbucketClient(
            transport: AuthorizedTransport(base: retrying, tokens: tokens, apiURL: configuration.apiURL),
            apiURL: configuration.apiURL)
    }
}
