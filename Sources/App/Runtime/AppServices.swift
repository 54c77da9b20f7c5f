import BitbucketKit
import Foundation

/// Everything the effect runner needs from the outside world, handed in by `bbtui` (which alone
/// knows the real environment, paths and clock).
public struct AppServices: Sendable {
    /// The OAuth configuration, or why there is none (no consumer configured yet).
    public var configuration: Result<OAuthConfiguration, AppError>
    /// Where the loopback listener listens (the configured redirect URI, or the default).
    public var listenerRedirectURI: URL
    public var store: TokenStore
    /// Nil when the cache cannot be used; bbtui then simply starts without cached data.
    public var cache: CacheStore?
    public var transport: any HTTPTransport
    public var paths: StorePaths
    /// The person's home directory, to shorten paths for display.
    public var home: String?
    public var now: @Sendable () -> Date

    /// Creates the services.
    public init(configuration: Result<OAuthConfiguration, AppError>, listenerRedirectURI: URL, store: TokenStore, cache: CacheStore?, transport: any HTTPTransport, paths: StorePaths, home: String?, now: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.listenerRedirectURI = listenerRedirectURI
        self.store = store
        self.cache = cache
        self.transport = transport
        self.paths = paths
        self.home = home
        self.now = now
    }

    /// The header's summary of a stored account.
    public func summary(of account: StoredAccount) -> AccountSummary {
        AccountSummary(id: account.id, username: account.username, displayName: account.displayName, tokenExpiresAt: account.token.expiresAt, storePath: Format.path(paths.configDirectory, home: home))
    }

    /// A browser for an account, filled from the cache (marked cached, with its age).
    public func browser(for account: StoredAccount) -> BrowserState {
        var browser = BrowserState(account: summary(of: account))
        guard let cache else { return browser }
        if let hit = cache.get(User.self, key: CacheKey.user, accountID: account.id) {
            browser.user = .loaded(Snapshot(hit.value, fetchedAt: hit.fetchedAt, isCached: true))
        }
        if let hit = cache.get([Email].self, key: CacheKey.emails, accountID: account.id) {
            browser.emails = .loaded(Snapshot(hit.value, fetchedAt: hit.fetchedAt, isCached: true))
        }
        if let hit = cache.get([Workspace].self, key: CacheKey.workspaces, accountID: account.id) {
            browser.workspaces = .loaded(Snapshot(hit.value, fetchedAt: hit.fetchedAt, isCached: true))
        }
        if let hit = cache.get([Repository].self, key: CacheKey.repositories, accountID: account.id) {
            browser.repositories.replaceAll(hit.value)
            browser.repositories.progress = .done(fetchedAt: hit.fetchedAt, isCached: true)
            browser.repositories.cachedAt = hit.fetchedAt
        }
        return browser
    }

    /// The first state: the active account's browser (from the cache) or the login screen,
    /// and the effects that start the work.
    public func initialState(size: TerminalUI.Size, environment: Environment) -> (AppState, [Effect]) {
        if let account = try? store.activeAccount() {
            var browser = browser(for: account)
            let effects = BrowserUpdate.startFetchAll(&browser)
            return (AppState(screen: .browser(browser), size: size, now: now(), environment: environment), effects)
        }
        return (AppState(screen: .login(LoginState()), size: size, now: now(), environment: environment), [.prepareLogin])
    }
}

/// Cache keys.
enum CacheKey {
    static let user = "user"
    static let emails = "emails"
    static let workspaces = "workspaces"
    static let repositories = "repositories"
}

import TerminalUI
