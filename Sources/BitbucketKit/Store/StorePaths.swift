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

/// A problem with the store on disk, with the command that fixes it when there is one.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// Others can read or enter it: refused, like ssh refuses a readable private key.
    case insecurePermissions(path: String, mode: String, fix: String)
    /// Not a directory, not a regular file, or owned by someone else.
    case unusable(path: String, reason: String)
    /// A write failed (full disk, read-only file system); nothing was changed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .insecurePermissions(let path, let mode, let fix):
            return "\(path) has permissions \(mode): other users could read your tokens. bbtui refuses to use it. Fix with: \(fix)"
        case .unusable(let path, let reason):
            return "\(path) cannot be used: \(reason)."
        case .writeFailed(let path, let reason):
            return "Could not write \(path): \(reason). Nothing was changed." + StoreError.hint(for: reason)
        }
    }
}

extension StoreError {
    /// The one next step that fits the cause, when there is one.
    static func hint(for reason: String) -> String {
        let lowered = reason.lowercased()
        if lowered.contains("no space") || lowered.contains("disk full") || lowered.contains("full") && lowered.contains("database") {
            return " Free some space on that file system."
        }
        if lowered.contains("read-only") || lowered.contains("readonly") { return " The file system is read-only." }
        if lowered.contains("permission") || lowered.contains("not permitted") { return " Check the ownership and permissions of that path." }
        return ""
    }

    /// A failure to open one of the store's files, with the cause named (a link, a directory,
    /// permissions, space).
    static func openFailed(path: String, errno code: Int32) -> StoreError {
        switch code {
        case ELOOP:
            return .unusable(path: path, reason: "it is a symbolic link, and bbtui does not follow links inside its store. Remove it (bbtui recreates it)")
        case EISDIR:
            return .unusable(path: path, reason: "it is a directory")
        default:
            return .writeFailed(path: path, reason: String(cString: strerror(code)))
        }
    }
}

/// Creating and checking private directories and files.
enum SecureFiles {
    /// Creates `path` (and parents) as needed; the last component gets mode 0700. An existing
    /// directory must not be accessible by group or others.
    static func prepareDirectory(_ path: String) throws(StoreError) {
        var info = stat()
        if stat(path, &info) != 0 {
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, parent != path, stat(parent, &info) != 0 {
                do {
                    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw .writeFailed(path: parent, reason: error.localizedDescription)
                }
            }
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            chmod(path, 0o700)
            return
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .unusable(path: path, reason: "it is not a directory") }
        guard info.st_uid == geteuid() else { throw .unusable(path: path, reason: "it belongs to another user (uid \(info.st_uid))") }
        if info.st_mode & 0o077 != 0 {
            throw .insecurePermissions(path: path, mode: mode(info.st_mode), fix: "chmod 700 '\(path)'")
        }
    }

    /// Checks an existing file is private; creates it empty with 0600 when missing.
    static func prepareFile(_ path: String) throws(StoreError) {
        var info = stat()
        if lstat(path, &info) != 0 {
            let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw StoreError.openFailed(path: path, errno: errno) }
            fchmod(fd, 0o600)
            close(fd)
            return
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unusable(path: path, reason: "it is not a regular file") }
        guard info.st_uid == geteuid() else { throw .unusable(path: path, reason: "it belongs to another user (uid \(info.st_uid))") }
        if info.st_mode & 0o077 != 0 {
            throw .insecurePermissions(path: path, mode: mode(info.st_mode), fix: "chmod 600 '\(path)'")
        }
    }

    /// Forces 0600 on SQLite's side files that exist (journal, WAL, shared memory).
    static func tightenSideFiles(of database: String) {
        for suffix in ["-journal", "-wal", "-shm"] { chmod(database + suffix, 0o600) }
    }

    static func mode(_ raw: mode_t) -> String {
        "0" + String(raw & 0o777, radix: 8)
    }
}
