import BitbucketKit
import Foundation
import TerminalUI

/// Everything the effect runner needs from the outside world, handed in by `bbtui` (which alone
/// knows the real environment, paths and clock). Each part is a protocol, so tests hand in fakes.
public struct AppServices: Sendable {
    /// The OAuth configuration, or why there is none (no consumer configured yet).
    public var configuration: Result<OAuthConfiguration, AppError>
    /// Where the loopback listener listens (the configured redirect URI, or the default).
    public var listenerRedirectURI: URL
    public var accounts: any AccountStore
    public var sessions: any SessionProvider
    /// Nil when the cache cannot be used; bbtui then simply starts without cached data.
    public var cache: (any DataCache)?
    public var system: any SystemServices
    public var paths: StorePaths
    /// The person's home directory, to shorten paths for display.
    public var home: String?
    public var now: @Sendable () -> Date
    /// When no consumer is configured: checks and saves one's Key and Secret (nil: the
    /// configuration's failure is of another kind, and setting up would not help).
    public var consumerSetup: (@Sendable (_ key: String, _ secret: String) async -> ConsumerSetup.Outcome)?
    /// Where an API token login goes (`BBTUI_API_URL`, checked), or why it cannot.
    public var apiURL: Result<URL, AppError> = .success(OAuthConfiguration.bitbucketAPIURL)
    /// How `c` clones (nil: cloning is not available, as in tests without git).
    public var cloning: CloneSettings?

    /// Creates the services.
    public init(
        configuration: Result<OAuthConfiguration, AppError>, listenerRedirectURI: URL, accounts: any AccountStore,
        sessions: any SessionProvider,
        cache: (any DataCache)?, system: any SystemServices = LiveSystem(), paths: StorePaths, home: String?,
        now: @escaping @Sendable () -> Date = Date.init,
        consumerSetup: (@Sendable (_ key: String, _ secret: String) async -> ConsumerSetup.Outcome)? = nil
    ) {
        self.consumerSetup = consumerSetup
        self.configuration = configuration
        self.listenerRedirectURI = listenerRedirectURI
        self.accounts = accounts
        self.sessions = sessions
        self.cache = cache
        self.system = system
        self.paths = paths
        self.home = home
        self.now = now
    }

    /// The header's summary of a stored account.
    public func summary(of account: StoredAccount) -> AccountSummary {
        var summary = AccountSummary(
            id: account.id, username: account.username, displayName: account.displayName,
            tokenExpiresAt: account.token.expiresAt, storePath: Format.path(paths.configDirectory, home: home))
        summary.usesAPIToken = account.token.isAPIToken
        return summary
    }

    /// An account with what the cache holds for it: plain values for `update` to build from.
    public func record(for account: StoredAccount) -> AccountRecord {
        var cached = CachedData()
        if let cache {
            func read<T: Equatable & Sendable>(_ key: CacheKey<T>) -> Snapshot<T>? {
                cache.get(key, accountID: account.id).map {
                    Snapshot($0.value, fetchedAt: $0.fetchedAt, isCached: true)
                }
            }
            cached.user = read(CacheKeys.user)
            cached.emails = read(CacheKeys.emails)
            cached.workspaces = read(CacheKeys.workspaces)
            cached.workspaceDetails = read(CacheKeys.workspaceDetails)
            cached.sshKeys = read(CacheKeys.sshKeys)
            cached.filterHistory = cache.get(CacheKeys.filterHistory, accountID: account.id)?.value ?? []
            cached.repositories = cache.get(CacheKeys.repositories, accountID: account.id)
                .map { Snapshot($0.value.repositories, fetchedAt: $0.fetchedAt, isCached: true) }
        }
        return AccountRecord(summary: summary(of: account), cached: cached)
    }

    /// Reads the active account and its cache (once, before the first frame) and lets `update`
    /// make the first state and the effects that start the work.
    public func initialState(
        size: TerminalUI.Size, environment: Environment, startsWithLogin: Bool = false
    ) -> (AppState, [Effect]) {
        let active = (try? accounts.activeAccount()).flatMap { $0 }
        return Update.start(
            record: active.map(record(for:)), size: size, now: now(), environment: environment,
            startsWithLogin: startsWithLogin)
    }
}

/// Cache keys.
typealias CacheKeys = CacheStore.Key

/// What cloning from the list needs from the settings and the process.
public struct CloneSettings: Sendable, Equatable {
    /// The `clone_dir` setting (`BBTUI_CLONE_DIR`); nil: the directory bbtui was started in.
    public var directoryTemplate: String?
    /// The `clone_protocol` setting; nil lets the SSH keys pane decide.
    public var forcedProtocol: CloneProtocol?
    public var workingDirectory: String
    public var home: String?
    /// git's credential helper for HTTPS (`!'/path/bbtui' git-credential`).
    public var credentialHelper: String?
    /// git's environment.
    public var environment: [String: String]
    /// How many clones run at once.
    public var limit: Int

    /// Creates the settings.
    public init(
        directoryTemplate: String?, forcedProtocol: CloneProtocol?, workingDirectory: String, home: String?,
        credentialHelper: String?, environment: [String: String], limit: Int = Cloner.concurrentClones
    ) {
        self.directoryTemplate = directoryTemplate
        self.forcedProtocol = forcedProtocol
        self.workingDirectory = workingDirectory
        self.home = home
        self.credentialHelper = credentialHelper
        self.environment = environment
        self.limit = limit
    }
}
