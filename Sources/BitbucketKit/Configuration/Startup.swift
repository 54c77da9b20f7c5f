import Foundation

/// What both front ends start from, loaded one way: the settings and the limits they set, the
/// token store, and the sessions over one HTTP transport (with the request ledgers).
public struct Startup: Sendable {
    public let settings: Settings
    /// The limit on one HTTP request (`BBTUI_TIMEOUT`).
    public let requestTimeout: Duration
    /// The limit on one command (`BBTUI_COMMAND_TIMEOUT`).
    public let commandTimeout: Duration
    /// The consumer's hourly limit on repository requests (`BBTUI_REQUEST_LIMIT`).
    public let requestLimit: Int
    public let store: TokenStore
    /// Sessions and logins, over the transport built from the environment's proxy settings.
    public let sessions: SessionFactory

    /// Reads the environment and the config file, and opens the store. Every file bbtui
    /// creates from here on is private to the user (umask 077).
    public static func load(environment: [String: String], ignoringConfigFile: Bool = false) throws -> Startup {
        let previous = umask(0o077)
        if previous != 0o077 { CloneProcess.personUmask.store(UInt32(previous), ordering: .relaxed) }
        let settings = try Settings.load(environment: environment, ignoringFile: ignoringConfigFile)
        let requestTimeout = try settings.requestTimeout()
        let commandTimeout = try settings.commandTimeout()
        let requestLimit = try settings.requestLimit()
        let store = try TokenStore(paths: settings.paths)
        let transport = AsyncHTTPClientTransport(
            environment: environment, connectTimeout: min(.seconds(5), requestTimeout), requestTimeout: requestTimeout)
        return Startup(
            settings: settings, requestTimeout: requestTimeout, commandTimeout: commandTimeout,
            requestLimit: requestLimit, store: store,
            sessions: SessionFactory(
                store: store, transport: transport, paths: settings.paths, requestLimit: requestLimit))
    }
}
