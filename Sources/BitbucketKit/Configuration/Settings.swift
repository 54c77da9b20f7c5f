import Foundation

/// bbtui's settings: the environment first, then the config file, then Bitbucket's defaults.
///
/// The config file (`config` in the config directory) takes the same keys as the environment,
/// one `KEY = "value"` per line (a TOML subset; `#` starts a comment).
public struct Settings: Sendable, Equatable {
    /// Every key bbtui reads.
    public static let keys = [
        "BITBUCKET_CLIENT_ID", "BITBUCKET_CLIENT_SECRET", "BBTUI_AUTHORIZE_URL", "BBTUI_TOKEN_URL", "BBTUI_API_URL",
        "BBTUI_REDIRECT_URI", "BBTUI_HOME", "BBTUI_TIMEOUT", "BBTUI_COMMAND_TIMEOUT", "BBTUI_REQUEST_LIMIT",
        "BBTUI_CLONE_DIR", "BBTUI_CLONE_PROTOCOL", "BBTUI_HYPERLINKS",
    ]

    /// The default limit on one HTTP request, connect to last byte.
    public static let defaultRequestTimeout: Duration = .seconds(30)
    /// The default limit on one command (`whoami`, `repos`, …), retries included.
    public static let defaultCommandTimeout: Duration = .seconds(300)

    /// The merged values.
    public var values: [String: String]
    /// Where each value came from ("environment", the file path, or "default").
    public var sources: [String: String]
    public var paths: StorePaths
    /// The config file's `[keys]` and `[keys.CONTEXT]` lines (the app checks their names).
    public var keyEntries: [KeyEntry] = []
    /// The config file's `[[commands]]`.
    public var commands: [CustomCommand] = []

    /// Reads the environment and the config file.
    /// `ignoringFile` leaves the config file out (the full screen, after a mistake in it).
    public static func load(
        environment: [String: String], ignoringFile: Bool = false
    ) throws(ConfigurationError) -> Settings {
        let paths = StorePaths.resolve(environment: environment)
        var values: [String: String] = [:]
        var sources: [String: String] = [:]
        var contents = ConfigDocument.Contents()
        if !ignoringFile, let text = try readFile(paths.configFile) {
            contents = try ConfigDocument.read(text, path: paths.configFile, known: keys)
            let pairs = contents.settings
            if pairs.contains(where: { $0.0 == "BITBUCKET_CLIENT_SECRET" && !$0.1.isEmpty }) {
                try checkPrivate(paths.configFile)
            }
            for (key, value) in pairs {
                values[key] = value
                sources[key] = paths.configFile
            }
        }
        for key in keys {
            if let value = environment[key], !value.isEmpty {
                values[key] = value
                sources[key] = "environment"
            }
        }
        return Settings(
            values: values, sources: sources, paths: paths, keyEntries: contents.keys, commands: contents.commands)
    }

    /// The OAuth configuration these settings describe.
    public func oauthConfiguration() throws(ConfigurationError) -> OAuthConfiguration {
        func url(_ key: String, _ fallback: URL) throws(ConfigurationError) -> URL {
            guard let text = values[key] else { return fallback }
            guard let url = URL(string: text), url.scheme != nil, url.host != nil else { throw .invalidURL(key, text) }
            return url
        }
        var redirect: URL?
        if let text = values["BBTUI_REDIRECT_URI"] {
            guard let url = URL(string: text), url.scheme != nil else { throw .invalidURL("BBTUI_REDIRECT_URI", text) }
            redirect = url
        }
        let configuration = OAuthConfiguration(
            clientID: values["BITBUCKET_CLIENT_ID"] ?? "",
            clientSecret: values["BITBUCKET_CLIENT_SECRET"] ?? "",
            authorizeURL: try url("BBTUI_AUTHORIZE_URL", OAuthConfiguration.bitbucketAuthorizeURL),
            tokenURL: try url("BBTUI_TOKEN_URL", OAuthConfiguration.bitbucketTokenURL),
            apiURL: try url("BBTUI_API_URL", OAuthConfiguration.bitbucketAPIURL),
            redirectURI: redirect
        )
        try configuration.validate()
        return configuration
    }

    /// The API base URL (`BBTUI_API_URL`, or Bitbucket's), checked: credentials go over TLS only,
    /// except to loopback. An API token login needs nothing else.
    public func apiURL() throws(ConfigurationError) -> URL {
        guard let text = values["BBTUI_API_URL"] else { return OAuthConfiguration.bitbucketAPIURL }
        guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
            throw .invalidURL("BBTUI_API_URL", text)
        }
        guard url.isSecureForCredentials else { throw .insecure("BBTUI_API_URL", text) }
        return url
    }

    /// Refuses endpoint settings that disagree with the account about to be used: the account's
    /// tokens go only to the servers it logged in against, and a setting silently ignored would
    /// leave the person believing they talk to another server. A malformed value is refused too.
    public func checkEndpoints(for account: StoredAccount) throws(ConfigurationError) {
        func normalized(_ url: URL) -> String {
            url.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        }
        // An API token goes only to the API: the OAuth endpoints have nothing to do with it.
        let endpoints =
            account.configuration.apiTokenEmail != nil
            ? [("BBTUI_API_URL", account.configuration.apiURL)]
            : [("BBTUI_API_URL", account.configuration.apiURL), ("BBTUI_TOKEN_URL", account.configuration.tokenURL)]
        for key in ["BBTUI_AUTHORIZE_URL", "BBTUI_TOKEN_URL", "BBTUI_API_URL"] {
            guard let text = values[key] else { continue }
            guard let url = URL(string: text), url.scheme != nil, url.host != nil else { throw .invalidURL(key, text) }
            if let stored = endpoints.first(where: { $0.0 == key })?.1, normalized(url) != normalized(stored) {
                throw .endpointConflict(key, text, account.username, stored.absoluteString)
            }
        }
    }

    /// How long one HTTP request may take in all (`BBTUI_TIMEOUT`, seconds).
    public func requestTimeout() throws(ConfigurationError) -> Duration {
        try seconds("BBTUI_TIMEOUT", default: Settings.defaultRequestTimeout)
    }

    /// How long one command may take in all (`BBTUI_COMMAND_TIMEOUT`, seconds).
    public func commandTimeout() throws(ConfigurationError) -> Duration {
        try seconds("BBTUI_COMMAND_TIMEOUT", default: Settings.defaultCommandTimeout)
    }

    /// The consumer's hourly limit on repository requests (`BBTUI_REQUEST_LIMIT`; Bitbucket's
    /// is 1,000, more where Atlassian scaled it for a paid workspace).
    public func requestLimit() throws(ConfigurationError) -> Int {
        guard let text = values["BBTUI_REQUEST_LIMIT"] else { return RequestLedger.hourlyLimit }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), (100...1_000_000).contains(value) else {
            throw .invalidValue("BBTUI_REQUEST_LIMIT", text, "a number of requests an hour between 100 and 1000000")
        }
        return value
    }

    /// The `clone_protocol` setting (`BBTUI_CLONE_PROTOCOL`): `ssh` or `https` forces it; nil
    /// (unset, or `auto`) lets the SSH keys decide.
    public func cloneProtocol() throws(ConfigurationError) -> CloneProtocol? {
        guard let text = values["BBTUI_CLONE_PROTOCOL"]?.trimmingCharacters(in: .whitespaces).lowercased(),
            text != "auto"
        else { return nil }
        guard let value = CloneProtocol(rawValue: text) else {
            throw .invalidValue("BBTUI_CLONE_PROTOCOL", text, "ssh, https or auto")
        }
        return value
    }

    private func seconds(_ key: String, default fallback: Duration) throws(ConfigurationError) -> Duration {
        guard let text = values[key] else { return fallback }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0, value <= 86_400
        else {
            throw .invalidValue(key, text, "a number of seconds between 0 and 86400")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    /// The callback URL the loopback listener serves: the configured one, or the default.
    public var listenerRedirectURI: URL {
        values["BBTUI_REDIRECT_URI"].flatMap(URL.init(string:)) ?? OAuthConfiguration.defaultRedirectURI
    }

    /// A file holding a secret must be the user's own and unreadable by others, as ssh demands
    /// of a private key.
    static func checkPrivate(_ path: String) throws(ConfigurationError) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let mode = "0" + String(info.st_mode & 0o777, radix: 8)
        if info.st_uid != geteuid() {
            throw .exposedSecret(
                path, mode + " and belongs to another user (uid \(info.st_uid))",
                "chown \(geteuid()) '\(path)' && chmod 600 '\(path)'")
        }
        if info.st_mode & 0o077 != 0 {
            throw .exposedSecret(path, mode, "chmod 600 '\(path)'")
        }
    }

    private static func readFile(_ path: String) throws(ConfigurationError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableFile(path, "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadableFile(path, "not UTF-8 text") }
        return text
    }

    /// Reads the file's settings (TOML: `KEY = "value"` lines, comments with `#`).
    static func parse(_ text: String, path: String) throws(ConfigurationError) -> [(String, String)] {
        try ConfigDocument.settings(text, path: path, known: keys)
    }
}
