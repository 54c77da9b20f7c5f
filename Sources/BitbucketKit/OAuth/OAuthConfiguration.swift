import Foundation

/// Where bbtui logs in and which consumer it logs in as.
public struct OAuthConfiguration: Sendable, Equatable, Codable {
    /// The consumer's Key.
    public var clientID: String
    /// The consumer's Secret (Bitbucket requires it even with PKCE).
    public var clientSecret: String
    public var authorizeURL: URL
    public var tokenURL: URL
    /// The REST API base, ending in `/2.0`.
    public var apiURL: URL
    /// The consumer's callback URL, sent only when configured.
    public var redirectURI: URL?

    /// Bitbucket Cloud's endpoints.
    public static let bitbucketAuthorizeURL = URL(string: "https://bitbucket.org/site/oauth2/authorize")!
    public static let bitbucketTokenURL = URL(string: "https://bitbucket.org/site/oauth2/access_token")!
    public static let bitbucketAPIURL = URL(string: "https://api.bitbucket.org/2.0")!
    /// The callback URL the README tells people to register.
    public static let defaultRedirectURI = URL(string: "http://127.0.0.1:8976/callback")!

    /// Creates a configuration; `validate()` checks it.
    public init(
        clientID: String, clientSecret: String, authorizeURL: URL = bitbucketAuthorizeURL,
        tokenURL: URL = bitbucketTokenURL, apiURL: URL = bitbucketAPIURL, redirectURI: URL? = nil
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.apiURL = apiURL
        self.redirectURI = redirectURI
    }

    /// Refuses a configuration that would leak secrets or cannot work.
    /// The configuration of an account that logs in with an Atlassian API token: no consumer;
    /// the email stands where the Key would (`apiTokenEmail` reads it back).
    public static func apiToken(email: String, apiURL: URL) -> OAuthConfiguration {
        OAuthConfiguration(
            clientID: apiTokenPrefix + email, clientSecret: "", authorizeURL: bitbucketAuthorizeURL,
            tokenURL: bitbucketTokenURL, apiURL: apiURL, redirectURI: nil)
    }

    static let apiTokenPrefix = "api-token:"

    /// The email of an API token account, or nil for an OAuth consumer.
    public var apiTokenEmail: String? {
        clientID.hasPrefix(OAuthConfiguration.apiTokenPrefix)
            ? String(clientID.dropFirst(OAuthConfiguration.apiTokenPrefix.count)) : nil
    }

    public func validate() throws(ConfigurationError) {
        if clientID.isEmpty { throw .missing("BITBUCKET_CLIENT_ID", "the consumer's Key") }
        if clientSecret.isEmpty { throw .missing("BITBUCKET_CLIENT_SECRET", "the consumer's Secret") }
        for (name, url) in [
            ("BBTUI_AUTHORIZE_URL", authorizeURL), ("BBTUI_TOKEN_URL", tokenURL), ("BBTUI_API_URL", apiURL),
        ] {
            guard url.isSecureForCredentials else { throw .insecure(name, url.absoluteString) }
        }
    }
}

/// A configuration problem, with the setting that fixes it.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missing(String, String)
    case insecure(String, String)
    case invalidURL(String, String)
    case unreadableFile(String, String)
    /// A setting has a value of the wrong kind (key, value, what is expected).
    case invalidValue(String, String, String)
    /// The config file holds the consumer's secret and others can read it (path, mode, fix).
    case exposedSecret(String, String, String)
    /// An endpoint setting names another server than the one the account logged in against
    /// (key, value, account, the account's endpoint).
    case endpointConflict(String, String, String, String)
    /// The config file is not valid TOML (path, line, column, what the parser expected).
    case syntax(String, line: Int, column: Int, String)
    /// The config file sets something bbtui does not know (path, line, key, the nearest name).
    case unknownSetting(String, line: Int, String, nearest: String?)
    /// A setting in the config file is of the wrong kind (path, line, key, what it takes).
    case wrongKind(String, line: Int, String, String)
    /// A `[keys]` or `[[commands]]` entry that cannot be used (path, line, what is wrong).
    case fileEntry(String, line: Int, String)

    /// A mistake in the config file itself (the full screen starts without the file and shows
    /// it; a command exits 64).
    public var isFileMistake: Bool {
        switch self {
        case .syntax, .unknownSetting, .wrongKind, .fileEntry: return true
        case .unreadableFile(_, let reason): return reason != "permission denied"
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .syntax(let path, let line, let column, let message):
            return "\(path):\(line):\(column): \(message)"
        case .unknownSetting(let path, let line, let key, let nearest):
            return "\(path):\(line): bbtui has no setting \(key)"
                + (nearest.map { ". Did you mean \($0)?" }
                    ?? ". The settings are listed in the README (Configuration) and in `man bbtui` (ENVIRONMENT).")
        case .wrongKind(let path, let line, let key, let expected):
            return "\(path):\(line): \(key) takes \(expected)."
        case .fileEntry(let path, let line, let message):
            return "\(path):\(line): \(message)"
        case .missing(let key, let what):
            return
                "\(key) is not set: it is \(what). Run `bbtui setup`: it shows how to create the OAuth consumer in Bitbucket and saves its Key and Secret (or set \(key) in the environment). Or try `bbtui demo` first."
        case .insecure(let key, let url):
            return
                "\(key)=\(url) uses plain http to a non-loopback host. bbtui only sends credentials over https (http is allowed to 127.0.0.1 and localhost only)."
        case .invalidURL(let key, let value):
            return "\(key)=\(value) is not a valid URL."
        case .unreadableFile(let path, let reason):
            return "Could not read the config file \(path): \(reason)"
        case .invalidValue(let key, let value, let expected):
            return "\(key)=\(value) is not valid: it takes \(expected)."
        case .exposedSecret(let path, let mode, let fix):
            return
                "The config file \(path) holds BITBUCKET_CLIENT_SECRET and has permissions \(mode): other users could read the secret. bbtui refuses to use it. Fix with: \(fix)"
        case .endpointConflict(let key, let value, let account, let stored):
            return
                "\(key) is \(value), but the account \(account) logged in against \(stored), and its tokens are only ever sent there. Unset \(key) to use this account, or run `bbtui login` with it set to add an account on that server."
        }
    }
}
