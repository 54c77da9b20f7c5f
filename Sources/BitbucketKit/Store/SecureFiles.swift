import Foundation

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
                    try FileManager.default.createDirectory(
                        atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
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
        guard info.st_uid == geteuid() else {
            throw .unusable(path: path, reason: "it belongs to another user (uid \(info.st_uid))")
        }
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
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .unusable(path: path, reason: "it is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw .unusable(path: path, reason: "it belongs to another user (uid \(info.st_uid))")
        }
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
