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
    nonisolated(unsafe) private static let addCloseFromFunction = unsafeBitCast(
        dlsym(libc, "posix_spawn_file_actions_addclosefrom_np")!, to: AddCloseFrom.self)

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

extension CleanSpawn {
    /// What a finished child left: its exit status (128 + n after signal n) and its output.
    public struct Finished: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs `executable` with `arguments` as a clean child and waits for it. Standard input is
    /// `/dev/null`; standard output (and standard error, with `mergesErrors`) is collected when
    /// `capturesOutput`, else discarded. `extraEnvironment` is added to this process's own.
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], extraEnvironment: [String] = [], capturesOutput: Bool = true,
        mergesErrors: Bool = false
    ) -> Finished {
        var fds: [Int32] = [0, 0]
        guard pipe2(&fds, O_CLOEXEC) == 0 else { return Finished(status: -1, output: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capturesOutput {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if capturesOutput && mergesErrors {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        guard addCloseFrom(&actions, 3) == 0 else { return Finished(status: -1, output: "closefrom failed") }
        var attributes = CleanSpawn.attributes()
        defer { posix_spawnattr_destroy(&attributes) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment: [UnsafeMutablePointer<CChar>?] = []
        var index = 0
        while let entry = environ[index] {
            environment.append(strdup(entry))
            index += 1
        }
        environment += extraEnvironment.map { strdup($0) } + [nil]
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else {
            return Finished(status: -1, output: "spawn failed: \(String(cString: strerror(spawned)))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fds[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7F
        return Finished(
            status: signal == 0 ? (status >> 8) & 0xFF : 128 + signal, output: String(decoding: output, as: UTF8.self))
    }
}
