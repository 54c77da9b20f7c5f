import Foundation

/// An HTTP request, independent of the client library.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String = "GET", url: URL, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first header with that name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// Sets a header, replacing any with the same name.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
        headers.append((name, value))
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0.lowercased()):\($0.1)" } == rhs.headers.map { "\($0.0.lowercased()):\($0.1)" }
    }
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }

    /// The body as text (invalid UTF-8 repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// True when the body claims to be JSON.
    public var isJSON: Bool { headers["content-type"]?.lowercased().contains("json") == true }
}

/// A network-level failure: nothing usable came back.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in words.
    public enum Kind: Sendable, Equatable {
        case connectionRefused, timedOut, dnsFailure, tlsFailure, responseTooLarge, insecureURL, other
    }

    public var kind: Kind
    public var host: String
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, host: String, detail: String = "") {
        self.kind = kind
        self.host = host
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .connectionRefused: return "Could not connect to \(host): the connection was refused. Is the server running, and is the address right?"
        case .timedOut: return "\(host) did not answer in time. Check your network (and HTTPS_PROXY if you need one), then retry."
        case .dnsFailure: return "Could not resolve \(host). Check your network or DNS settings."
        case .tlsFailure: return "The TLS connection to \(host) failed: \(detail)"
        case .responseTooLarge: return "The response from \(host) was larger than bbtui accepts (\(detail)). This is not a Bitbucket response."
        case .insecureURL: return "Refusing to send credentials to \(host) over plain http: only loopback addresses may use http."
        case .other: return "The request to \(host) failed: \(detail)"
        }
    }
}

/// Sends requests. Live: `AsyncHTTPClientTransport`; layered: `RetryingTransport`,
/// `AuthorizedTransport`.
public protocol HTTPTransport: Sendable {
    /// Sends one request and returns the response, or throws `TransportError`.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

extension URL {
    /// True for `127.0.0.0/8`, `::1` and `localhost`.
    public var isLoopback: Bool {
        guard let host = host?.lowercased() else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// True when the URL may carry credentials: `https`, or `http` to loopback only.
    public var isSecureForCredentials: Bool {
        scheme?.lowercased() == "https" || (scheme?.lowercased() == "http" && isLoopback)
    }
}
