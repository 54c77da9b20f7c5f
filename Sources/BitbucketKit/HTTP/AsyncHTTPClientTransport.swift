import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The live transport: AsyncHTTPClient with short connect timeouts, a total deadline on every
/// request (connect, headers and the whole body), proxy support from the environment and a cap
/// on response size.
///
/// AsyncHTTPClient ignores `HTTPS_PROXY` by itself, and on a refused connection retries until
/// the request deadline; both are handled here so "server down" is reported in seconds.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    private let requestTimeout: TimeAmount
    private let maxResponseBytes: Int

    /// Creates a transport.
    /// - Parameters:
    ///   - environment: read for `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy`.
    ///   - connectTimeout: how long a connection may take to open.
    ///   - requestTimeout: how long a whole request may take, from connecting to the body's last
    ///     byte; a server that drips bytes is cut off here.
    ///   - maxResponseBytes: larger bodies fail with `.responseTooLarge`.
    public init(environment: [String: String] = [:], connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(30), maxResponseBytes: Int = 32 << 20) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .milliseconds(connectTimeout.milliseconds), read: .milliseconds(requestTimeout.milliseconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        configuration.httpVersion = .automatic
        proxy = ProxySettings(environment: environment)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.requestTimeout = .milliseconds(requestTimeout.milliseconds)
        self.maxResponseBytes = maxResponseBytes
        if let server = proxy.proxy {
            var proxied = configuration
            proxied.proxy = .server(host: server.host, port: server.port)
            proxiedClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: proxied)
        } else {
            proxiedClient = nil
        }
    }

    private let proxy: ProxySettings
    private let proxiedClient: HTTPClient?

    deinit {
        try? client.syncShutdown()
        try? proxiedClient?.syncShutdown()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let host = request.url.host ?? request.url.absoluteString
        guard request.url.isSecureForCredentials else { throw TransportError(.insecureURL, host: host) }
        let limit = Duration.milliseconds(requestTimeout.nanoseconds / 1_000_000)
        let seconds = String(format: "%g", Double(requestTimeout.nanoseconds) / 1e9)
        let detail = "no complete answer within \(seconds) s"
        return try await Deadline.run(within: limit, timeout: { TransportError(.timedOut, host: host, detail: detail) }) {
            do {
                return try await self.perform(request, host: host)
            } catch let error as TransportError where error.kind == .timedOut {
                // AsyncHTTPClient's own deadline may fire first: the same limit, the same words.
                throw TransportError(.timedOut, host: host, detail: detail)
            }
        }
    }

    private func perform(_ request: HTTPRequest, host: String) async throws -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        outgoing.headers.replaceOrAdd(name: "User-Agent", value: "bbtui/0.1")
        if !request.body.isEmpty { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let chosen = (proxiedClient != nil && proxy.applies(to: host)) ? proxiedClient! : client
        do {
            let response = try await chosen.execute(outgoing, timeout: requestTimeout)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: maxResponseBytes)
            } catch is NIOTooManyBytesError {
                throw TransportError(.responseTooLarge, host: host, detail: "over \(maxResponseBytes / (1 << 20)) MiB")
            }
            return HTTPResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: buffer))
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError.classify(error, host: host)
        }
    }
}

extension TransportError {
    /// Maps AsyncHTTPClient and NIO errors to a kind a person can act on.
    static func classify(_ error: any Error, host: String) -> TransportError {
        let text = String(describing: error)
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout: return TransportError(.timedOut, host: host)
            case .remoteConnectionClosed: return TransportError(.other, host: host, detail: "the server closed the connection")
            default: break
            }
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return TransportError(.connectionRefused, host: host)
        }
        if text.contains("NIOConnectionError") && text.contains("refused") { return TransportError(.connectionRefused, host: host) }
        if text.localizedCaseInsensitiveContains("timeout") || text.contains("deadline") { return TransportError(.timedOut, host: host) }
        if text.contains("getaddrinfo") || text.contains("DNS") || text.contains("resolve") { return TransportError(.dnsFailure, host: host) }
        if text.contains("SSL") || text.contains("TLS") || text.contains("certificate") { return TransportError(.tlsFailure, host: host, detail: text) }
        return TransportError(.other, host: host, detail: text)
    }
}

/// `HTTPS_PROXY` and `NO_PROXY`, read the way curl does.
struct ProxySettings: Sendable {
    var proxy: (host: String, port: Int)?
    var exclusions: [String]

    init(environment: [String: String]) {
        let raw = environment["HTTPS_PROXY"] ?? environment["https_proxy"] ?? ""
        if !raw.isEmpty, let url = URL(string: raw.contains("://") ? raw : "http://" + raw), let host = url.host {
            proxy = (host, url.port ?? 80)
        }
        exclusions = (environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// Whether requests to `host` go through the proxy: never for loopback or excluded hosts.
    func applies(to host: String) -> Bool {
        guard proxy != nil else { return false }
        let host = host.lowercased()
        if LoopbackHost.isLoopback(host) { return false }
        for rule in exclusions {
            if rule == "*" { return false }
            let suffix = rule.hasPrefix(".") ? String(rule.dropFirst()) : rule
            if host == suffix || host.hasSuffix("." + suffix) { return false }
        }
        return true
    }
}

extension Duration {
    /// Whole milliseconds.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
