import BitbucketKit
import Foundation

/// Shell completions that know this machine: stored account names and cached workspace slugs,
/// read from the local stores only (no network, nothing printed, nothing created).
enum Completions {
    /// Usernames (and UUIDs) of the stored accounts that start with `prefix`.
    static func accounts(prefix: String) -> [String] {
        guard let store = openStore() else { return [] }
        let names = ((try? store.accounts()) ?? []).flatMap { [$0.username, $0.id] }
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The active account's workspace slugs, from the cache of the last listing.
    static func workspaces(prefix: String) -> [String] {
        let workspaces = cached(CacheStore.Key.workspaces) ?? []
        return workspaces.map(\.slug).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The active account's repositories (`workspace/slug`), from the cache of the last listing.
    static func repositories(prefix: String) -> [String] {
        let repositories = cached(CacheStore.Key.repositories)?.repositories ?? []
        return repositories.map(\.fullName).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// What the cache holds for the active account under `key`, without creating anything.
    private static func cached<T>(_ key: CacheKey<T>) -> T? {
        guard let settings = try? Settings.load(environment: ProcessInfo.processInfo.environment),
            FileManager.default.fileExists(atPath: settings.paths.cacheDatabase),
            let store = openStore(), let account = try? store.activeAccount(),
            let cache = try? CacheStore(paths: settings.paths)
        else { return nil }
        return cache.get(key, accountID: account.id)?.value
    }

    private static func openStore() -> TokenStore? {
        guard let settings = try? Settings.load(environment: ProcessInfo.processInfo.environment),
            FileManager.default.fileExists(atPath: settings.paths.credentialsDatabase)
        else { return nil }
        return try? TokenStore(paths: settings.paths)
    }
}
