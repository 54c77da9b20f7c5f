import Foundation
import Synchronization
import Testing

@testable import BitbucketKit

@Suite struct StoreTests {
    func mode(_ path: String) -> Int {
        var info = stat()
        stat(path, &info)
        return Int(info.st_mode & 0o777)
    }

    func sampleAccount(id: String = "{u1}", name: String = "zoe") -> StoredAccount {
        StoredAccount(
            id: id, username: name, displayName: "Zoë",
            configuration: OAuthConfiguration(clientID: "k", clientSecret: "s"),
            token: Token(
                accessToken: "a-\(id)", refreshToken: "r", expiresAt: Date(timeIntervalSince1970: 2_000_000_000),
                scopes: ["account", "email"])
        )
    }

    @Test func createsPrivateDirectoriesAndFiles() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        try store.save(sampleAccount())
        let cache = try CacheStore(paths: home.paths)
        try cache.put(["x"], key: CacheKey<[String]>.json("k"), accountID: "{u1}", fetchedAt: Date())
        #expect(mode(home.path) == 0o700)
        #expect(mode(home.paths.credentialsDatabase) == 0o600)
        #expect(mode(home.paths.cacheDirectory) == 0o700)
        #expect(mode(home.paths.cacheDatabase) == 0o600)
        let leaked = try FileManager.default.contentsOfDirectory(atPath: home.path).filter {
            mode(home.path + "/" + $0) & 0o077 != 0
        }
        #expect(leaked.isEmpty)
    }

    @Test func refusesAReadableDirectoryWithTheFix() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        try FileManager.default.createDirectory(atPath: home.path, withIntermediateDirectories: true)
        chmod(home.path, 0o755)
        #expect(throws: StoreError.insecurePermissions(path: home.path, mode: "0755", fix: "chmod 700 '\(home.path)'"))
        {
            _ = try TokenStore(paths: home.paths)
        }
    }

    @Test func refusesAReadableDatabaseWithTheFix() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        _ = try TokenStore(paths: home.paths)
        chmod(home.paths.credentialsDatabase, 0o644)
        #expect(
            throws: StoreError.insecurePermissions(
                path: home.paths.credentialsDatabase, mode: "0644", fix: "chmod 600 '\(home.paths.credentialsDatabase)'"
            )
        ) {
            _ = try TokenStore(paths: home.paths)
        }
    }

    @Test func corruptStoreIsMovedAsideNotOverwritten() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        try FileManager.default.createDirectory(
            atPath: home.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let garbage = Data(repeating: 0x42, count: 4096)
        #expect(
            FileManager.default.createFile(
                atPath: home.paths.credentialsDatabase, contents: garbage, attributes: [.posixPermissions: 0o600]))
        let store = try TokenStore(paths: home.paths)
        #expect(store.notices.count == 1)
        #expect(store.notices[0].contains("was moved to"))
        let aside = try FileManager.default.contentsOfDirectory(atPath: home.path).filter {
            $0.hasPrefix("credentials.sqlite.corrupt-")
        }
        #expect(aside.count == 1)
        #expect(FileManager.default.contents(atPath: home.path + "/" + aside[0]) == garbage)
        #expect(try store.accounts().isEmpty)
    }

    @Test func accountsActivateSwitchAndRemove() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        try store.save(sampleAccount(id: "{a}", name: "ada"))
        try store.save(sampleAccount(id: "{b}", name: "bob"))
        #expect(try store.activeAccount()?.username == "bob")
        #expect(try store.accounts().map(\.username) == ["bob", "ada"])
        #expect(try store.activate(accountID: "{a}"))
        #expect(try store.activeAccount()?.username == "ada")
        #expect(try store.activate(accountID: "{nobody}") == false)
        #expect(try store.findAccount("bob")?.id == "{b}")
        try store.remove(accountID: "{a}")
        #expect(try store.activeAccount()?.username == "bob")
        try store.removeAll()
        #expect(try store.accounts().isEmpty)
    }

    @Test func tokensRoundTripExactly() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let store = try TokenStore(paths: home.paths)
        let account = sampleAccount()
        try store.save(account)
        var token = account.token
        token.accessToken = "new"
        token.refreshToken = "new-refresh"
        try store.updateToken(token, accountID: account.id)
        let reopened = try TokenStore(paths: home.paths)
        #expect(try reopened.activeAccount()?.token == token)
        #expect(try reopened.activeAccount()?.configuration == account.configuration)
    }

    @Test func cacheKeepsFetchTime() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let cache = try CacheStore(paths: home.paths)
        let when = Date(timeIntervalSince1970: 1_700_000_000)
        let key = CacheKey<[String]>.json("names")
        try cache.put(["a", "b"], key: key, accountID: "{u}", fetchedAt: when)
        let hit = try #require(cache.get(key, accountID: "{u}"))
        #expect(hit.value == ["a", "b"])
        #expect(hit.fetchedAt == when)
        #expect(cache.get(key, accountID: "{other}") == nil)
        // The same name read as another kind of value is nothing, never a wrong value.
        #expect(cache.get(CacheKey<Int>.json("names"), accountID: "{u}") == nil)
        try cache.clear(accountID: "{u}")
        #expect(cache.get(key, accountID: "{u}") == nil)
    }

    @Test func lockIsExclusiveAcrossStores() async throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let a = try TokenStore(paths: home.paths)
        let b = try TokenStore(paths: home.paths)
        let order = OrderLog()
        try await a.withRefreshLock {
            order.append("a-in")
            // While a holds the lock, b cannot take it and gives up at its deadline.
            let attempt = await Task {
                try await b.withRefreshLock(timeout: .milliseconds(100)) { order.append("b-in") }
            }.result
            #expect(throws: StoreError.self) { try attempt.get() }
            order.append("a-out")
        }
        try await b.withRefreshLock { order.append("b-after") }
        #expect(order.entries == ["a-in", "a-out", "b-after"])
    }
}

/// A thread-safe list of events.
final class OrderLog: Sendable {
    private let list = Mutex<[String]>([])
    func append(_ entry: String) { list.withLock { $0.append(entry) } }
    var entries: [String] { list.withLock { $0 } }
}

@Suite struct SettingsTests {
    @Test func environmentWinsOverTheFile() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        try FileManager.default.createDirectory(
            atPath: home.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try """
        # bbtui config
        BITBUCKET_CLIENT_ID = "file-key"
        BITBUCKET_CLIENT_SECRET = "file-secret"   # trailing comment
        BBTUI_API_URL = "http://127.0.0.1:9/2.0"
        """.write(toFile: home.path + "/config", atomically: true, encoding: .utf8)
        chmod(home.path + "/config", 0o600)
        let settings = try Settings.load(environment: ["BBTUI_HOME": home.path, "BITBUCKET_CLIENT_ID": "env-key"])
        let configuration = try settings.oauthConfiguration()
        #expect(configuration.clientID == "env-key")
        #expect(configuration.clientSecret == "file-secret")
        #expect(configuration.apiURL.absoluteString == "http://127.0.0.1:9/2.0")
        #expect(configuration.tokenURL == OAuthConfiguration.bitbucketTokenURL)
        #expect(settings.sources["BITBUCKET_CLIENT_ID"] == "environment")
        #expect(settings.sources["BITBUCKET_CLIENT_SECRET"] == home.path + "/config")
    }

    @Test func plainHTTPOnlyToLoopback() throws {
        let environment = [
            "BBTUI_HOME": "/nonexistent-bbtui", "BITBUCKET_CLIENT_ID": "k", "BITBUCKET_CLIENT_SECRET": "s",
            "BBTUI_API_URL": "http://api.example.com/2.0",
        ]
        #expect(throws: ConfigurationError.insecure("BBTUI_API_URL", "http://api.example.com/2.0")) {
            try Settings.load(environment: environment).oauthConfiguration()
        }
        var loopback = environment
        loopback["BBTUI_API_URL"] = "http://localhost:8080/2.0"
        #expect(try Settings.load(environment: loopback).oauthConfiguration().apiURL.host == "localhost")
    }

    @Test func missingKeyExplainsTheConsumer() throws {
        #expect(throws: ConfigurationError.missing("BITBUCKET_CLIENT_ID", "the consumer's Key")) {
            try Settings.load(environment: ["BBTUI_HOME": "/nonexistent-bbtui"]).oauthConfiguration()
        }
    }

    @Test func pathsFollowXDG() {
        #expect(
            StorePaths.resolve(environment: ["HOME": "/home/z"])
                == StorePaths(configDirectory: "/home/z/.config/bbtui", cacheDirectory: "/home/z/.cache/bbtui"))
        #expect(
            StorePaths.resolve(environment: ["HOME": "/home/z", "XDG_CONFIG_HOME": "/c", "XDG_CACHE_HOME": "/k"])
                == StorePaths(configDirectory: "/c/bbtui", cacheDirectory: "/k/bbtui"))
        #expect(
            StorePaths.resolve(environment: ["HOME": "/home/z", "BBTUI_HOME": "/b"])
                == StorePaths(configDirectory: "/b", cacheDirectory: "/b/cache"))
    }
}
