import BitbucketKit
import Foundation

// The effect runner's view of the world outside the network: each a protocol, so the runner can
// be tested with fakes, and each called on the runner's I/O queue, never on the UI thread.

/// The stored accounts (the token store in the program).
public protocol AccountStore: Sendable {
    /// Every account, the active one first.
    func accounts() throws -> [StoredAccount]
    /// The active account, if any.
    func activeAccount() throws -> StoredAccount?
    /// Makes an account the active one; false when there is no such account.
    @discardableResult func activate(accountID: String) throws -> Bool
    /// Deletes an account's tokens; another becomes active if one is left.
    func remove(accountID: String) throws
}

extension TokenStore: AccountStore {}

/// The cache of fetched data (a SQLite file in the program).
public protocol DataCache: Sendable {
    /// Stores a value with when it was fetched.
    func put<T>(_ value: T, key: CacheKey<T>, accountID: String, fetchedAt: Date) throws
    /// A value and when it was fetched, or nil.
    func get<T>(_ key: CacheKey<T>, accountID: String) -> (value: T, fetchedAt: Date)?
    /// Forgets an account's data.
    func clear(accountID: String) throws
    /// Marks a value as fetched again (unchanged).
    func touch<T>(_ key: CacheKey<T>, accountID: String, fetchedAt: Date) throws
    /// Forgets one value.
    func remove<T>(_ key: CacheKey<T>, accountID: String) throws
}

extension CacheStore: DataCache {}

/// Logins and API sessions (BitbucketKit's `LoginCompletion` and `AccountSession` in the program).
public protocol SessionProvider: Sendable {
    /// Exchanges a code, learns whose token it is, and stores the account.
    func completeLogin(
        code: String, request: AuthorizationRequest, configuration: OAuthConfiguration
    ) async throws -> LoginCompletion.Result
    /// Logs in with an Atlassian API token and stores the account.
    func completeLogin(apiToken: String, email: String, apiURL: URL) async throws -> LoginCompletion.Result
    /// Opens `url` as a browser would, without following the redirect; returns its `Location`.
    func redirect(from url: URL) async throws -> String?
    /// The API session for an account; `onRetry` hears about retries.
    func session(
        for account: StoredAccount, onRetry: @escaping @Sendable (RetryingTransport.RetryNotice) -> Void
    ) -> AccountSession
}

/// The live sessions: BitbucketKit's, over the real transport and the token store.
public typealias LiveSessions = SessionFactory

extension SessionFactory: SessionProvider {}

/// What the runner does to the machine: open a URL in a browser, write a private file.
public protocol SystemServices: Sendable {
    /// Opens `url` with the desktop's opener; returns what went wrong, or nil.
    func openInBrowser(_ url: String) -> String?
    /// Writes `contents` to `path` with mode 0600, never following a link; returns the path.
    func writePrivateFile(_ path: String, contents: String) -> Result<String, AppError>
    /// This machine's SSH public keys: `~/.ssh/*.pub` and the running agent's.
    func localKeys() -> LocalKeys.Found
}

extension SystemServices {
    /// None, unless the machine says otherwise (fakes).
    public func localKeys() -> LocalKeys.Found { LocalKeys.Found() }
}

/// The live machine.
public struct LiveSystem: SystemServices {
    /// `HOME` and `SSH_AUTH_SOCK` come from here.
    let environment: [String: String]

    /// Creates it.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func localKeys() -> LocalKeys.Found {
        LocalKeys.find(home: environment["HOME"], agentSocket: environment["SSH_AUTH_SOCK"])
    }

    public func openInBrowser(_ url: String) -> String? {
        switch ChildProcess.run("/usr/bin/env", ["xdg-open", url]) {
        case .ended(.exited(0)): return nil
        case .ended(let exit): return "xdg-open failed (\(exit))."
        case .notStarted(let reason): return "Could not run xdg-open: \(reason)."
        }
    }

    public func writePrivateFile(_ path: String, contents: String) -> Result<String, AppError> {
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return .failure(.store("\(path): \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { return .failure(.store("\(path): \(String(cString: strerror(errno)))")) }
        return .success(path)
    }
}

/// Starts a program the way a well-behaved parent should: no descriptor but the three standard
/// ones (all `/dev/null`), an empty signal mask and default signal dispositions, so it neither
/// inherits the UI thread's blocked signals nor keeps one of bbtui's pipes open.
enum ChildProcess {
    enum Outcome: Equatable {
        case ended(ChildExit)
        case notStarted(String)
    }

    /// Runs `executable` with `arguments` and waits for it (call it off the UI thread).
    static func run(_ executable: String, _ arguments: [String]) -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // bbtui opens everything close-on-exec (Swift's runtime, NIO, SQLite and the tty alike),
        // and the actions above replace 0–2; glibc's closefrom action is not in Swift's Glibc.
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = SpawnAttributes.with { attributes in
            posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard spawned == 0 else { return .notStarted(String(cString: strerror(spawned))) }
        guard let status = SpawnAttributes.waitStatus(for: pid) else {
            return .notStarted(String(cString: strerror(errno)))
        }
        return .ended(ChildExit(waitStatus: status))
    }
}

// MARK: - Plain values the runner reads

/// An account as stored, with what the cache holds for it: what the runner reads, and `update`
/// turns into a browser.
public struct AccountRecord: Equatable, Sendable {
    public var summary: AccountSummary
    public var cached: CachedData

    /// Creates a record.
    public init(summary: AccountSummary, cached: CachedData = CachedData()) {
        self.summary = summary
        self.cached = cached
    }
}

/// The cached panes of one account, each with when it was fetched.
public struct CachedData: Equatable, Sendable {
    public var user: Snapshot<User>?
    public var emails: Snapshot<[Email]>?
    public var workspaces: Snapshot<[Workspace]>?
    public var repositories: Snapshot<[Repository]>?
    public var workspaceDetails: Snapshot<[WorkspaceDetail]>?
    public var sshKeys: Snapshot<SSHKeyReport>?
    /// The filters kept with Enter, newest first.
    public var filterHistory: [String] = []

    /// Creates cached data.
    public init(
        user: Snapshot<User>? = nil, emails: Snapshot<[Email]>? = nil, workspaces: Snapshot<[Workspace]>? = nil,
        repositories: Snapshot<[Repository]>? = nil,
        workspaceDetails: Snapshot<[WorkspaceDetail]>? = nil, sshKeys: Snapshot<SSHKeyReport>? = nil
    ) {
        self.user = user
        self.emails = emails
        self.workspaces = workspaces
        self.repositories = repositories
        self.workspaceDetails = workspaceDetails
        self.sshKeys = sshKeys
    }
}
