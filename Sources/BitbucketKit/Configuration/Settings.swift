import Foundation

/// bbtui's settings: the environment first, then the config file, then Bitbucket's defaults.
///
/// The config file (`config` in the config directory) takes the same keys as the environment,
/// one `KEY = "value"` per line (a TOML subset; `#` starts a comment).
public struct Settings: Sendable, Equatable {
    /// Every key bbtui reads.
    public static let keys = ["BITBUCKET_CLIENT_ID", "BITBUCKET_CLIENT_SECRET", "BBTUI_AUTHORIZE_URL", "BBTUI_TOKEN_URL", "BBTUI_API_URL", "BBTUI_REDIRECT_URI", "BBTUI_HOME"]

    /// The merged values.
    public var values: [String: String]
    /// Where each value came from ("environment", the file path, or "default").
    public var sources: [String: String]
    public var paths: StorePaths

    /// Reads the environment and the config file.
    public static func load(environment: [String: String]) throws(ConfigurationError) -> Settings {
        let paths = StorePaths.resolve(environment: environment)
        var values: [String: String] = [:]
        var sources: [String: String] = [:]
        if let text = try readFile(paths.configFile) {
            for (key, value) in try parse(text, path: paths.configFile) where keys.contains(key) {
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
        return Settings(values: values, sources: sources, paths: paths)
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

    /// The callback URL the loopback listener serves: the configured one, or the default.
    public var listenerRedirectURI: URL {
        values["BBTUI_REDIRECT_URI"].flatMap(URL.init(string:)) ?? OAuthConfiguration.defaultRedirectURI
    }

    private static func readFile(_ path: String) throws(ConfigurationError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadableFile(path, "permission denied") }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadableFile(path, "not UTF-8 text") }
        return text
    }

    /// Parses `KEY = "value"` lines.
    static func parse(_ text: String, path: String) throws(ConfigurationError) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw .unreadableFile(path, "line \(number + 1) is not KEY = \"value\"")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") {
                guard let close = value.dropFirst().firstIndex(of: "\"") else {
                    throw .unreadableFile(path, "line \(number + 1) has an unterminated string")
                }
                value = String(value[value.index(after: value.startIndex)..<close])
            } else if let hash = value.firstIndex(of: "#") {
                value = value[..<hash].trimmingCharacters(in: .whitespaces)
            }
            pairs.append((key, value))
        }
        return pairs
    }
}
