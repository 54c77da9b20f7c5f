import Foundation

/// An HTTP request, independent of the client library.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// A request that completes work already paid for (a listing's first page, its check): it
    /// may spend the last requests the hour's budget keeps back from ordinary pages.
    public var mayUseBudgetReserve = false

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
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
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
        case .connectionRefused:
            return
                "Could not connect to \(host): the connection was refused. Is the server running, and is the address right?"
        case .timedOut:
            return
                "\(host) did not answer in time\(detail.isEmpty ? "" : " (\(detail))"). Check your network, and HTTPS_PROXY if you need one."
        case .dnsFailure: return "Could not resolve \(host). Check your network or DNS settings."
        case .tlsFailure: return "The TLS connection to \(host) failed: \(detail)"
        case .responseTooLarge:
            return
                "The response from \(host) was larger than bbtui accepts (\(detail)). This is not a Bitbucket response."
        case .insecureURL:
            return "Refusing to send credentials to \(host) over plain http: only loopback addresses may use http."
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
    /// True for `127.0.0.0/8`, `::1` and `localhost` itself: the host is parsed as an address,
    /// so `127.evil.example` or `localhost.example` are not loopback.
    public var isLoopback: Bool {
        guard let host = host?.lowercased() else { return false }
        return LoopbackHost.isLoopback(host)
    }

    /// True when the URL may carry credentials: `https`, or `http` to loopback only.
    public var isSecureForCredentials: Bool {
        scheme?.lowercased() == "https" || (scheme?.lowercased() == "http" && isLoopback)
    }
}

/// Decides whether a host name is a loopback address, by parsing it, never by its prefix.
public enum LoopbackHost {
    /// True for `localhost` (with or without a trailing dot), an IPv4 address in `127.0.0.0/8`
    /// written as four decimal octets, and the IPv6 loopback `::1` in any of its spellings.
    public static func isLoopback(_ rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "localhost." { return true }
        if let octets = ipv4Octets(host) { return octets[0] == 127 }
        if host.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, host, &address) == 1 else { return false }
            let bytes = withUnsafeBytes(of: address) { Array($0) }
            if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
            // An IPv4-mapped loopback (::ffff:127.x.y.z).
            return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
        }
        return false
    }

    /// Four decimal octets 0...255, nothing else (no shortened or hexadecimal forms).
    static func ipv4Octets(_ host: String) -> [Int]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part),
                value <= 255
            else { return nil }
            octets.append(value)
        }
        return octets
    }
}
