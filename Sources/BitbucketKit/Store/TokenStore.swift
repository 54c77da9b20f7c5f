import Foundation
import GRDB

/// An account bbtui is logged in to: who, through which consumer, and its tokens.
public struct StoredAccount: Sendable, Equatable, Identifiable {
    /// The user's UUID (`{…}`), stable across renames.
    public var id: String
    /// The nickname or username, for `bbtui switch`.
    public var username: String
    public var displayName: String
    public var isActive: Bool
    public var configuration: OAuthConfiguration
    public var token: Token
    public var updatedAt: Date
    /// When a refresh was sent whose answer has not reached the store (nil when none is open):
    /// set before the request, cleared with the commit of the new pair.
    public var refreshStartedAt: Date?

    /// Creates an account record.
    public init(
        id: String, username: String, displayName: String, isActive: Bool = true, configuration: OAuthConfiguration,
        token: Token, updatedAt: Date = Date()
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.isActive = isActive
        self.configuration = configuration
        self.token = token
        self.updatedAt = updatedAt
        self.refreshStartedAt = nil
    }
}

/// Accounts and their tokens in a private SQLite database (0600 in a 0700 directory).
///
/// Every write is one transaction, so a killed process leaves either the old or the new tokens.
/// A file that is not a database is moved aside (never overwritten) and reported in `notices`.
///
/// The database runs in write-ahead-log mode with full synchronisation: committing a refreshed
/// token pair is one append and one `fsync` of the log, where a rollback journal costs a file
/// creation, several `fsync`s and a deletion. That commit is the window in which a process killed
/// after Bitbucket rotated the pair loses it, so it is kept as short as the disk allows
/// (docs/PERFORMANCE.md has the numbers).
public final class TokenStore: Sendable {
    /// How SQLite makes commits durable.
    public enum JournalMode: String, Sendable {
        /// Write-ahead log: one append and one `fsync` per commit (the default).
        case wal = "WAL"
        /// SQLite's classic rollback journal (benchmarks compare against it).
        case rollback = "DELETE"
    }

    public let paths: StorePaths
    private let database: DatabaseQueue
    /// What happened while opening (a corrupt file moved aside), for the person to read.
    public let notices: [String]

    /// Opens (or creates) the store, checking permissions like ssh does.
    public init(paths: StorePaths, journalMode: JournalMode = .wal) throws {
        self.paths = paths
        try SecureFiles.prepareDirectory(paths.configDirectory)
        let path = paths.credentialsDatabase
        try SecureFiles.prepareFile(path)
        var notices: [String] = []
        do {
            database = try TokenStore.open(path, journalMode: journalMode)
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            let aside = path + ".corrupt-" + String(Int(Date().timeIntervalSince1970))
            guard rename(path, aside) == 0 else {
                throw StoreError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            for suffix in ["-journal", "-wal", "-shm"] { rename(path + suffix, aside + suffix) }
            notices.append(
                "The credentials store \(path) was damaged; it was moved to \(aside) and a new one was created. Log in again."
            )
            try SecureFiles.prepareFile(path)
            database = try TokenStore.open(path, journalMode: journalMode)
        }
        SecureFiles.tightenSideFiles(of: path)
        self.notices = notices
    }

    private static func open(_ path: String, journalMode: JournalMode) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "bbtui.credentials"
        configuration.prepareDatabase { db in
            // The mode is stored in the file; switching needs no other connection open, and when
            // another process holds one SQLite keeps the current mode, which is also safe.
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = \(journalMode.rawValue)")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE account (
                        id TEXT PRIMARY KEY NOT NULL,
                        username TEXT NOT NULL,
                        display_name TEXT NOT NULL,
                        is_active INTEGER NOT NULL DEFAULT 0,
                        client_id TEXT NOT NULL,
                        client_secret TEXT NOT NULL,
                        authorize_url TEXT NOT NULL,
                        token_url TEXT NOT NULL,
                        api_url TEXT NOT NULL,
                        redirect_uri TEXT,
                        access_token TEXT NOT NULL,
                        refresh_token TEXT,
                        expires_at REAL NOT NULL,
                        scopes TEXT NOT NULL,
                        token_type TEXT NOT NULL,
                        updated_at REAL NOT NULL
                    )
                    """)
        }
        migrator.registerMigration("v2-refresh-record") { db in
            try db.execute(sql: "ALTER TABLE account ADD COLUMN refresh_started_at REAL")
        }
        try migrator.migrate(queue)
        return queue
    }

    // MARK: - Reading

    /// Every account, the active one first, then by name.
    public func accounts() throws -> [StoredAccount] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM account ORDER BY is_active DESC, username").map(TokenStore.account)
        }
    }

    /// The active account, if any.
    public func activeAccount() throws -> StoredAccount? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE is_active = 1 LIMIT 1").map(TokenStore.account)
        }
    }

    /// One account by id.
    public func account(id: String) throws -> StoredAccount? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]).map(TokenStore.account)
        }
    }

    /// Finds an account by username, display name or id (for `bbtui switch NAME`).
    public func findAccount(_ name: String) throws -> StoredAccount? {
        try accounts().first { $0.username == name || $0.id == name || $0.displayName == name }
    }

    // MARK: - Writing

    /// Adds or replaces an account and makes it the active one.
    public func save(_ account: StoredAccount) throws {
        try write { db in
            try db.execute(sql: "UPDATE account SET is_active = 0")
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO account (id, username, display_name, is_active, client_id, client_secret, authorize_url, token_url, api_url, redirect_uri, access_token, refresh_token, expires_at, scopes, token_type, updated_at)
                    VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    account.id, account.username, account.displayName,
                    account.configuration.clientID, account.configuration.clientSecret,
                    account.configuration.authorizeURL.absoluteString, account.configuration.tokenURL.absoluteString,
                    account.configuration.apiURL.absoluteString, account.configuration.redirectURI?.absoluteString,
                    account.token.accessToken, account.token.refreshToken,
                    account.token.expiresAt.timeIntervalSince1970,
                    account.token.scopes.joined(separator: " "), account.token.tokenType, Date().timeIntervalSince1970,
                ])
        }
    }

    /// Replaces an account's tokens, atomically.
    public func updateToken(_ token: Token, accountID: String) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE account SET access_token = ?, refresh_token = ?, expires_at = ?, scopes = ?, token_type = ?,
                    updated_at = ?, refresh_started_at = NULL
                    WHERE id = ?
                    """,
                arguments: [
                    token.accessToken, token.refreshToken, token.expiresAt.timeIntervalSince1970,
                    token.scopes.joined(separator: " "), token.tokenType, Date().timeIntervalSince1970, accountID,
                ])
        }
    }

    /// Records that a refresh is about to be sent for an account (kept when one is already
    /// recorded: the earliest unanswered refresh is the one that explains a dead token).
    public func markRefreshStarted(at date: Date, accountID: String) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE account SET refresh_started_at = COALESCE(refresh_started_at, ?) WHERE id = ?",
                arguments: [date.timeIntervalSince1970, accountID])
        }
    }

    /// Forgets the in-flight record: Bitbucket answered without replacing anything. With
    /// `ifStartedAt`, only the record made at that moment is removed.
    public func clearRefreshStarted(accountID: String, ifStartedAt date: Date? = nil) throws {
        try write { db in
            if let date {
                try db.execute(
                    sql: "UPDATE account SET refresh_started_at = NULL WHERE id = ? AND refresh_started_at = ?",
                    arguments: [accountID, date.timeIntervalSince1970])
            } else {
                try db.execute(sql: "UPDATE account SET refresh_started_at = NULL WHERE id = ?", arguments: [accountID])
            }
        }
    }

    /// Makes an account the active one. Returns false when there is no such account.
    @discardableResult
    public func activate(accountID: String) throws -> Bool {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE id = ?", arguments: [accountID]) == true
            else { return false }
            try db.execute(sql: "UPDATE account SET is_active = (id = ?)", arguments: [accountID])
            return true
        }
    }

    /// Deletes an account's tokens (logout). Another account becomes active if one is left.
    public func remove(accountID: String) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [accountID])
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account WHERE is_active = 1") == 0 {
                try db.execute(
                    sql:
                        "UPDATE account SET is_active = 1 WHERE id = (SELECT id FROM account ORDER BY username LIMIT 1)"
                )
            }
        }
    }

    /// Deletes every account.
    public func removeAll() throws {
        try write { db in try db.execute(sql: "DELETE FROM account") }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            let result = try database.write(body)
            SecureFiles.tightenSideFiles(of: paths.credentialsDatabase)
            return result
        } catch let error as DatabaseError
            where [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode)
        {
            throw StoreError.writeFailed(
                path: paths.credentialsDatabase, reason: error.message ?? "\(error.resultCode)")
        }
    }

    private static func account(_ row: Row) -> StoredAccount {
        let configuration = OAuthConfiguration(
            clientID: row["client_id"], clientSecret: row["client_secret"],
            authorizeURL: URL(string: row["authorize_url"]) ?? OAuthConfiguration.bitbucketAuthorizeURL,
            tokenURL: URL(string: row["token_url"]) ?? OAuthConfiguration.bitbucketTokenURL,
            apiURL: URL(string: row["api_url"]) ?? OAuthConfiguration.bitbucketAPIURL,
            redirectURI: (row["redirect_uri"] as String?).flatMap(URL.init(string:))
        )
        let scopes: String = row["scopes"]
        var token = Token(
            accessToken: row["access_token"], refreshToken: row["refresh_token"],
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            scopes: scopes.split(separator: " ").map(String.init), tokenType: row["token_type"]
        )
        // An API token account keeps its email where a consumer's Key would be.
        if token.isAPIToken { token.basicUser = configuration.apiTokenEmail }
        var account = StoredAccount(
            id: row["id"], username: row["username"], displayName: row["display_name"], isActive: row["is_active"],
            configuration: configuration, token: token, updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
        account.refreshStartedAt = (row["refresh_started_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        return account
    }

    // MARK: - Cross-process refresh lock

    /// Runs `body` while holding an exclusive lock shared by every bbtui process of this store,
    /// so two processes never spend the same rotating refresh token.
    ///
    /// An `flock` on a file beside the database: the lock must be held across an async network
    /// call (which a GRDB transaction closure cannot span), and the kernel drops it when a
    /// process dies, so a killed process never leaves it stuck. A waiter does not poll: it
    /// sleeps until the holder closes the file (inotify), then tries again.
    public func withRefreshLock<T: Sendable>(
        timeout: Duration = .seconds(30), _ body: () async throws -> T
    ) async throws -> T {
        let path = paths.lockFile
        let fd = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StoreError.openFailed(path: path, errno: errno) }
        defer { close(fd) }
        let acquired = await withCheckedContinuation { (continuation: CheckedContinuation<LockWait.Outcome, Never>) in
            // Waiting blocks in poll(): on a thread of its own, never on the cooperative pool.
            let thread = Thread {
                continuation.resume(returning: LockWait.acquire(fd: fd, path: path, timeout: timeout))
            }
            thread.start()
        }
        switch acquired {
        case .acquired: break
        case .timedOut:
            throw StoreError.unusable(
                path: path, reason: "another bbtui process has held the refresh lock for over \(timeout)")
        case .failed(let code): throw StoreError.openFailed(path: path, errno: code)
        }
        defer { flock(fd, LOCK_UN) }
        return try await body()
    }
}

/// Takes an `flock` without polling: between tries the thread sleeps in `poll()` on an inotify
/// watch of the lock file, which wakes when a holder closes it (a holder unlocks, then closes).
enum LockWait {
    enum Outcome: Sendable {
        case acquired
        case timedOut
        case failed(Int32)
    }

    static func acquire(fd: Int32, path: String, timeout: Duration) -> Outcome {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return .acquired }
        guard errno == EWOULDBLOCK || errno == EINTR else { return .failed(errno) }
        let watch = inotify_init1(Int32(IN_CLOEXEC))
        guard watch >= 0 else { return .failed(errno) }
        defer { close(watch) }
        // Watch first, then try: a holder that lets go in between is still seen.
        guard
            inotify_add_watch(watch, path, UInt32(IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_DELETE_SELF | IN_ATTRIB)) >= 0
        else { return .failed(errno) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return .acquired }
            guard errno == EWOULDBLOCK || errno == EINTR else { return .failed(errno) }
            let remaining = deadline - clock.now
            guard remaining > .zero else { return .timedOut }
            var entry = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                clamping: max(
                    1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
            if poll(&entry, 1, milliseconds) > 0 { _ = read(watch, &buffer, buffer.count) }
        }
    }
}
