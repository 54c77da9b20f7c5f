import BitbucketEmulator
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import BitbucketKit

/// One transport for the test process (AsyncHTTPClient wants few clients).
let sharedTransport = AsyncHTTPClientTransport(connectTimeout: .seconds(2), requestTimeout: .seconds(20))

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A temporary BBTUI_HOME, removed at the end.
struct TemporaryHome {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "bbtui-test-" + UUID().uuidString
    }

    var paths: StorePaths { StorePaths(configDirectory: path, cacheDirectory: path + "/cache") }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// An emulator plus the BitbucketKit pieces wired to it.
struct KitHarness {
    let emulator: BitbucketEmulator
    let endpoints: EmulatorEndpoints
    let configuration: OAuthConfiguration

    static func start(_ configure: (inout EmulatorConfiguration) -> Void = { _ in }) async throws -> KitHarness {
        var emulatorConfiguration = EmulatorConfiguration()
        configure(&emulatorConfiguration)
        let emulator = BitbucketEmulator(configuration: emulatorConfiguration)
        let endpoints = try await emulator.start()
        EmulatorScope.adopt { await emulator.stop() }
        let configuration = OAuthConfiguration(
            clientID: endpoints.clientID, clientSecret: endpoints.clientSecret,
            authorizeURL: URL(string: endpoints.authorizeURL)!, tokenURL: URL(string: endpoints.tokenURL)!,
            apiURL: URL(string: endpoints.apiURL)!
        )
        return KitHarness(emulator: emulator, endpoints: endpoints, configuration: configuration)
    }

    func stop() async { await emulator.stop() }

    var stats: EmulatorStats { emulator.core.stats }

    func tokenClient(now: @escaping @Sendable () -> Date = Date.init) -> TokenClient {
        TokenClient(configuration: configuration, transport: sharedTransport, now: now)
    }

    /// Plays the browser: opens the authorize URL and returns the redirect's Location.
    func approve(_ request: AuthorizationRequest) async throws -> String {
        let response = try await sharedTransport.send(HTTPRequest(url: request.url))
        #expect(response.status == 302)
        return try #require(response.headers["location"])
    }

    /// A full login by paste, stored as the active account.
    func login(store: TokenStore, now: @escaping @Sendable () -> Date = Date.init) async throws -> StoredAccount {
        let request = AuthorizationRequest.make(configuration: configuration)
        let location = try await approve(request)
        let code = try PastedAuthorization.code(from: location, expectedState: request.state).get()
        let token = try await tokenClient(now: now).exchange(code: code, for: request)
        let account = StoredAccount(
            id: "{user}", username: "zoe", displayName: "Zoë", configuration: configuration, token: token)
        try store.save(account)
        return account
    }

    func client(tokens: any TokenSource, base: any HTTPTransport = sharedTransport) -> BitbucketClient {
        BitbucketClient(
            transport: AuthorizedTransport(base: base, tokens: tokens, apiURL: configuration.apiURL),
            apiURL: configuration.apiURL)
    }

    func post(_ path: String) async throws {
        _ = try await sharedTransport.send(HTTPRequest(method: "POST", url: URL(string: endpoints.baseURL + path)!))
    }
}
