import Foundation

/// Where git reaches an account's repositories over HTTPS: `https://bitbucket.org` for the API at
/// `https://api.bitbucket.org/2.0`, and the API's own origin otherwise (the emulator serves its
/// API, its OAuth endpoints and git at one address, plain `http` on loopback).
public struct GitHost: Sendable, Equatable, Hashable {
    public var scheme: String
    /// The host name, lower-cased, without brackets.
    public var host: String
    public var port: Int?

    /// The git host of the API at `apiURL`.
    public init(apiURL: URL) {
        scheme = (apiURL.scheme ?? "https").lowercased()
        var host = (apiURL.host ?? "").lowercased()
        if host.hasPrefix("api."), host.count > 4 { host = String(host.dropFirst(4)) }
        self.host = host
        port = apiURL.port
    }

    /// `scheme://host[:port]`, as git's `credential.<url>` settings name it.
    public var origin: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(name)" + (port.map { ":\($0)" } ?? "")
    }

    /// The HTTPS clone URL of `workspace/slug`, each percent-encoded: built from this host, never
    /// from a link the network sent, so the credentials go nowhere else.
    public func cloneURL(workspace: String, slug: String) -> String {
        origin + "/" + Self.percentEncode(workspace) + "/" + Self.percentEncode(slug) + ".git"
    }

    /// Whether git's `protocol` and `host` (which carries `:port` when there is one) name this host.
    public func matches(protocol scheme: String?, host requested: String?) -> Bool {
        guard let scheme, let requested, scheme.lowercased() == self.scheme else { return false }
        let name = host.contains(":") ? "[\(host)]" : host
        let expected = name + (port.map { ":\($0)" } ?? "")
        let defaultPort = self.scheme == "https" ? 443 : 80
        let asked = requested.lowercased()
        return asked == expected || (port == nil && asked == "\(name):\(defaultPort)")
            || (port == defaultPort && asked == name)
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// Git's credential-helper protocol (`git help credential`): `key=value` lines on stdin, ended
/// by a blank line or the end of input; the answer in the same form on stdout.
public enum GitCredential {
    /// What git asks about.
    public struct Query: Sendable, Equatable {
        public var fields: [String: String]

        // git splits a URL before asking a helper; a client that sends `url=` alone is read the
        // same way.
        public var scheme: String? { fields["protocol"] ?? url?.scheme }
        public var host: String? {
            if let host = fields["host"] { return host }
            guard let url, let host = url.host else { return nil }
            return host + (url.port.map { ":\($0)" } ?? "")
        }
        /// `workspace/slug.git` when `credential.useHttpPath` is set.
        public var path: String? {
            fields["path"] ?? url.flatMap { $0.path.isEmpty ? nil : String($0.path.dropFirst()) }
        }

        private var url: URLComponents? {
            guard fields["protocol"] == nil, let text = fields["url"] else { return nil }
            return URLComponents(string: text)
        }

        /// The workspace the path names, if any.
        public var workspace: String? {
            guard let path, let slash = path.firstIndex(of: "/") else { return nil }
            let workspace = String(path[..<slash])
            return workspace.isEmpty ? nil : workspace.removingPercentEncoding ?? workspace
        }
    }

    /// The user name git sends with an OAuth access token.
    public static let oauthUser = "x-token-auth"
    /// The user name git sends with an Atlassian API token.
    public static let apiTokenUser = "x-bitbucket-api-token-auth"

    /// Reads git's query; only the first value of a key counts, array keys (`wwwauth[]`) are
    /// kept whole.
    public static func parse(_ text: String) -> Query {
        var fields: [String: String] = [:]
        // "\r\n" is one Character in Swift: both endings are separators.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if line.isEmpty { break }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            if fields[key] == nil { fields[key] = String(line[line.index(after: equals)...]) }
        }
        return Query(fields: fields)
    }

    /// The answer: the user name for this kind of token, and the token. Nil when a value could
    /// break the protocol (a newline or NUL in it).
    public static func answer(token: Token) -> String? {
        let user = token.isAPIToken ? apiTokenUser : oauthUser
        guard !token.accessToken.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) else { return nil }
        return "username=\(user)\npassword=\(token.accessToken)\n"
    }
}
