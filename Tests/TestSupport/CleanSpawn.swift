#if canImport(Glibc)
import Glibc
#endif

/// Spawn attributes for a child that starts clean: an empty signal mask, every signal at its
/// default disposition.
public enum CleanSpawn {
    // glibc has both (2.9 and 2.34); Swift's Glibc module does not declare them (they need
    // _GNU_SOURCE), so they are looked up once by name.
    // Written once at first use and only read after; the handle is never closed.
    nonisolated(unsafe) private static let libc = dlopen(nil, RTLD_NOW)
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    nonisolated(unsafe) private static let pipe2Function = unsafeBitCast(dlsym(libc, "pipe2")!, to: Pipe2.self)
    nonisolated(unsafe) private static let addCloseFromFunction = unsafeBitCast(dlsym(libc, "posix_spawn_file_actions_addclosefrom_np")!, to: AddCloseFrom.self)

    /// `pipe2(2)`: both ends made close-on-exec atomically.
    public static func pipe2(_ fds: inout [Int32], _ flags: Int32) -> Int32 {
        fds.withUnsafeMutableBufferPointer { pipe2Function($0.baseAddress!, flags) }
    }

    /// Closes every descriptor from `lowest` up in the child.
    public static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) -> Int32 {
        addCloseFromFunction(&actions, lowest)
    }

    public static func attributes() -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return attributes
    }
}
