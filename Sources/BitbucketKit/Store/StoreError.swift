import Foundation

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
            return
                "\(path) has permissions \(mode): other users could read your tokens. bbtui refuses to use it. Fix with: \(fix)"
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
        if lowered.contains("no space") || lowered.contains("disk full")
            || lowered.contains("full") && lowered.contains("database")
        {
            return " Free some space on that file system."
        }
        if lowered.contains("read-only") || lowered.contains("readonly") { return " The file system is read-only." }
        if lowered.contains("permission") || lowered.contains("not permitted") {
            return " Check the ownership and permissions of that path."
        }
        return ""
    }

    /// A failure to open one of the store's files, with the cause named (a link, a directory,
    /// permissions, space).
    static func openFailed(path: String, errno code: Int32) -> StoreError {
        switch code {
        case ELOOP:
            return .unusable(
                path: path,
                reason:
                    "it is a symbolic link, and bbtui does not follow links inside its store. Remove it (bbtui recreates it)"
            )
        case EISDIR:
            return .unusable(path: path, reason: "it is a directory")
        default:
            return .writeFailed(path: path, reason: String(cString: strerror(code)))
        }
    }
}
