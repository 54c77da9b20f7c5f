import AsyncHTTPClient
import BitbucketEmulator
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// One HTTP client for the whole test process; it never follows redirects, so tests see them.
let testClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

/// A response as tests look at it.
struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

/// An emulator running on loopback for one test, with helpers to speak to it.
struct EmulatorHarness {
    let emulator: BitbucketEmulator
    let endpoints: EmulatorEndpoints

    static func start(_ configure: (inout EmulatorConfiguration) -> Void = { _ in }) async throws -> EmulatorHarness {
        var configuration = EmulatorConfiguration()
        configure(&configuration)
        let emulator = BitbucketEmulator(configuration: configuration)
        let endpoints = try await emulator.start()
        EmulatorScope.adopt { await emulator.stop() }
        return EmulatorHarness(emulator: emulator, endpoints: endpoints)
    }

    func stop() async { await emulator.stop() }

    func request(
        _ method: HTTPMethod = .GET, _ url: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: url.hasPrefix("http") ? url : endpoints.baseURL + url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await testClient.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        var headerMap: [String: String] = [:]
        for header in response.headers { headerMap[header.name.lowercased()] = header.value }
        return HTTPResult(status: Int(response.status.code), headers: headerMap, body: String(buffer: buffer))
    }

    func get(_ path: String, token: String?, headers: [(String, String)] = []) async throws -> HTTPResult {
        try await request(.GET, path, headers: (token.map { [("Authorization", "Bearer \($0)")] } ?? []) + headers)
    }

    /// A control request (`/_emulator/…`).
    func post(_ path: String) async throws -> HTTPResult {
        try await request(.POST, path)
    }

    var basicAuth: (String, String) {
        ("Authorization", "Basic " + Data("\(endpoints.clientID):\(endpoints.clientSecret)".utf8).base64EncodedString())
    }

    func postToken(
        _ form: String, auth: Bool = true, contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> HTTPResult {
        try await request(
            .POST, endpoints.tokenURL, headers: (auth ? [basicAuth] : []) + [("Content-Type", contentType)], body: form)
    }

    /// Runs the authorize step like a browser would and returns the redirect's query items.
    func authorize(extra: String = "") async throws -> [String: String] {
        let result = try await request(
            .GET, endpoints.authorizeURL + "?client_id=\(endpoints.clientID)&response_type=code&state=s1" + extra)
        #expect(result.status == 302)
        let location = try #require(result.headers["location"])
        let query = location.split(separator: "?", maxSplits: 1).last.map(String.init) ?? ""
        return Dictionary(FormEncoding.decode(query), uniquingKeysWith: { a, _ in a })
    }

    /// Logs in and returns the token response.
    func login() async throws -> [String: Any] {
        let code = try #require(try await authorize()["code"])
        let result = try await postToken("grant_type=authorization_code&code=\(code)")
        #expect(result.status == 200)
        return result.object
    }

    func accessToken() async throws -> String {
        try #require(try await login()["access_token"] as? String)
    }
}
