import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

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
    public init(
        environment: [String: String] = [:], connectTimeout: Duration = .seconds(5),
        requestTimeout: Duration = .seconds(30), maxResponseBytes: Int = 32 << 20
    ) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout = .init(
            connect: .milliseconds(connectTimeout.milliseconds), read: .milliseconds(requestTimeout.milliseconds))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: BitbucketClient.defaultConcurrency)
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
        // Never block in a deinit (it may run on an event loop): shut down in the background.
        client.shutdown(queue: .global()) { _ in }
        proxiedClient?.shutdown(queue: .global()) { _ in }
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let host = request.url.host ?? request.url.absoluteString
        guard request.url.isSecureForCredentials else { throw TransportError(.insecureURL, host: host) }
        let limit = Duration.milliseconds(requestTimeout.nanoseconds / 1_000_000)
        let seconds = String(format: "%g", Double(requestTimeout.nanoseconds) / 1e9)
        let detail = "no complete answer within \(seconds) s"
        return try await Deadline.run(within: limit, timeout: { TransportError(.timedOut, host: host, detail: detail) })
        {
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
            // Straight into the array, sized by Content-Length when it is given: one copy of
            // each chunk, not a growing buffer copied again at the end.
            var body: [UInt8] = []
            if let length = headers["content-length"].flatMap(Int.init), length > 0, length <= maxResponseBytes {
                body.reserveCapacity(length)
            }
            for try await chunk in response.body {
                guard chunk.readableBytes <= maxResponseBytes - body.count else {
                    throw TransportError(
                        .responseTooLarge, host: host, detail: "over \(maxResponseBytes / (1 << 20)) MiB")
                }
                chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
            }
            return HTTPResponse(status: Int(response.status.code), headers: headers, body: body)
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError.classify(error, host: host)
        }
    }
}

extension TransportError {
    /// Maps AsyncHTTPClient and NIO errors to a kind a person can act on, by their types and
    /// errno values, never by their wording (which changes between releases).
    static func classify(_ error: any Error, host: String) -> TransportError {
        switch error {
        case let client as HTTPClientError:
            switch client {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .tlsHandshakeTimeout:
                return TransportError(.timedOut, host: host)
            case .remoteConnectionClosed:
                return TransportError(.other, host: host, detail: "the server closed the connection")
            default:
                return TransportError(.other, host: host, detail: String(describing: client))
            }
        case let connection as NIOConnectionError:
            let failures = connection.connectionErrors.map(\.error)
            if failures.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return TransportError(.dnsFailure, host: host)
            }
            if let refused = failures.first(where: { ($0 as? IOError)?.errnoCode == ECONNREFUSED }) {
                return classify(refused, host: host)
            }
            return failures.first.map { classify($0, host: host) }
                ?? TransportError(.other, host: host, detail: "no address to connect to")
        case let io as IOError:
            switch io.errnoCode {
            case ECONNREFUSED: return TransportError(.connectionRefused, host: host)
            case ETIMEDOUT: return TransportError(.timedOut, host: host)
            default: return TransportError(.other, host: host, detail: String(cString: strerror(io.errnoCode)))
            }
        case let channel as ChannelError:
            if case .connectTimeout = channel { return TransportError(.timedOut, host: host) }
            return TransportError(.other, host: host, detail: String(describing: channel))
        case is SocketAddressError:
            return TransportError(.dnsFailure, host: host)
        default:
            // TLS errors come from NIOSSL, which bbtui does not import: know them by their module.
            let type = String(reflecting: Swift.type(of: error))
            if type.hasPrefix("NIOSSL.") {
                return TransportError(.tlsFailure, host: host, detail: String(describing: error))
            }
            return TransportError(.other, host: host, detail: type)
        }
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
