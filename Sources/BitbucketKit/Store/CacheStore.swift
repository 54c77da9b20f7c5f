import Foundation
import GRDB

/// Fetched resources per account, with the time they were fetched, so the next start shows them
/// on its first frame. Losing the cache loses nothing: a damaged one is simply recreated.
public final class CacheStore: Sendable {
    /// The keys bbtui stores under, shared by the app and the command line's completions.
    public enum Key {
        public static let user = CacheKey<User>.json("user")
        public static let emails = CacheKey<[Email]>.json("emails")
        public static let workspaces = CacheKey<[Workspace]>.json("workspaces")
        public static let repositories = CacheKey<RepositorySnapshot>.blob("repositories")
        /// The workspaces an incomplete listing got whole (`RepositorySnapshot.progress`).
        public static let repositoriesProgress = CacheKey<RepositorySnapshot>.blob("repositories-progress")
        public static let workspaceDetails = CacheKey<[WorkspaceDetail]>.json("workspace-details")
        public static let sshKeys = CacheKey<SSHKeyReport>.json("ssh-keys")
        /// The repository filters kept with Enter, newest first (typed by the person; never a
        /// secret: the login's and the setup's fields are not filters).
        public static let filterHistory = CacheKey<[String]>.json("filter-history")
    }

    private let database: DatabaseQueue
    public let path: String

    /// Opens (or creates) the cache database.
    public init(paths: StorePaths) throws {
        try SecureFiles.prepareDirectory(paths.cacheDirectory)
        path = paths.cacheDatabase
        try SecureFiles.prepareFile(path)
        do {
            database = try CacheStore.open(path)
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            unlink(path)
            try SecureFiles.prepareFile(path)
            database = try CacheStore.open(path)
        }
        SecureFiles.tightenSideFiles(of: path)
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE entry (
                        account_id TEXT NOT NULL,
                        key TEXT NOT NULL,
                        body BLOB NOT NULL,
                        fetched_at REAL NOT NULL,
                        PRIMARY KEY (account_id, key)
                    )
                    """)
        }
        try migrator.migrate(queue)
        return queue
    }

    /// Stores a value.
    public func put<T>(_ value: T, key: CacheKey<T>, accountID: String, fetchedAt: Date) throws {
        let body = Data(try key.encode(value))
        try database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO entry (account_id, key, body, fetched_at) VALUES (?, ?, ?, ?)",
                arguments: [accountID, key.name, body, fetchedAt.timeIntervalSince1970])
        }
        SecureFiles.tightenSideFiles(of: path)
    }

    /// Marks a stored value as fetched again at `fetchedAt` (a refresh that found it unchanged).
    public func touch<T>(_ key: CacheKey<T>, accountID: String, fetchedAt: Date) throws {
        try database.write { db in
            try db.execute(
                sql: "UPDATE entry SET fetched_at = ? WHERE account_id = ? AND key = ?",
                arguments: [fetchedAt.timeIntervalSince1970, accountID, key.name])
        }
    }

    /// Reads a value and when it was fetched; nil when absent or no longer decodable.
    public func get<T>(_ key: CacheKey<T>, accountID: String) -> (value: T, fetchedAt: Date)? {
        guard
            let row = try? database.read({ db in
                try Row.fetchOne(
                    db, sql: "SELECT body, fetched_at FROM entry WHERE account_id = ? AND key = ?",
                    arguments: [accountID, key.name])
            })
        else { return nil }
        let body: Data = row["body"]
        guard let value = key.decode(Array(body)) else { return nil }
        return (value, Date(timeIntervalSince1970: row["fetched_at"]))
    }

    /// Forgets one stored value.
    public func remove<T>(_ key: CacheKey<T>, accountID: String) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM entry WHERE account_id = ? AND key = ?", arguments: [accountID, key.name])
        }
    }

    /// Forgets everything cached for an account.
    public func clear(accountID: String) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM entry WHERE account_id = ?", arguments: [accountID])
        }
    }
}
