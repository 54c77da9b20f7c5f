import Foundation

/// Where bbtui keeps its files.
///
/// `$BBTUI_HOME` holds everything when set (tests and `bbtui demo` use a temporary one).
/// Otherwise credentials and config live in `$XDG_CONFIG_HOME/bbtui` (default `~/.config/bbtui`)
/// and the cache in `$XDG_CACHE_HOME/bbtui` (default `~/.cache/bbtui`).
public struct StorePaths: Sendable, Equatable {
    public var configDirectory: String
    public var cacheDirectory: String

    /// Creates paths.
    public init(configDirectory: String, cacheDirectory: String) {
        self.configDirectory = configDirectory
        self.cacheDirectory = cacheDirectory
    }

    /// Resolves the paths from the environment.
    public static func resolve(environment: [String: String]) -> StorePaths {
        if let home = environment["BBTUI_HOME"], !home.isEmpty {
            return StorePaths(configDirectory: home, cacheDirectory: home + "/cache")
        }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? userHome + "/.config"
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? userHome + "/.cache"
        return StorePaths(configDirectory: config + "/bbtui", cacheDirectory: cache + "/bbtui")
    }

    /// The credentials database (tokens, accounts).
    public var credentialsDatabase: String { configDirectory + "/credentials.sqlite" }
    /// The cache database (fetched resources).
    public var cacheDatabase: String { cacheDirectory + "/cache.sqlite" }
    /// The optional config file.
    public var configFile: String { configDirectory + "/config" }
    /// The cross-process refresh lock.
    public var lockFile: String { configDirectory + "/refresh.lock" }
}
