import Foundation

/// posix_spawn attributes for a well-behaved child: an empty signal mask and default signal
/// dispositions, so it inherits neither the UI thread's blocked signals nor bbtui's handlers; and,
/// when asked, a session of its own (no controlling terminal).
public enum SpawnAttributes {
    /// POSIX_SPAWN_SETSID (glibc 2.26), which Swift does not import.
    static let setsid: Int32 = 0x80

    // glibc has pipe2 (2.9); Swift's Glibc module does not declare it (it needs _GNU_SOURCE), so
    // it is looked up once by name. Written once at first use and only read after.
    nonisolated(unsafe) private static let libc = dlopen(nil, RTLD_NOW)
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    nonisolated(unsafe) private static let pipe2Function = dlsym(libc, "pipe2").map {
        unsafeBitCast($0, to: Pipe2.self)
    }

    /// A pipe whose two ends are close-on-exec from the start: a child another thread spawns at
    /// the same moment cannot inherit it (and hold it open, so that its reader never sees the end).
    public static func closeOnExecPipe(_ fds: inout [Int32]) -> Int32 {
        if let pipe2Function {
            return fds.withUnsafeMutableBufferPointer { pipe2Function($0.baseAddress!, O_CLOEXEC) }
        }
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    /// Runs `body` with the attributes made and destroyed around it.
    public static func with<T>(newSession: Bool = false, _ body: (inout posix_spawnattr_t) -> T) -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? setsid : 0)))
        return body(&attributes)
    }
}

extension SpawnAttributes {
    /// Waits for the child `pid` to end (through EINTR): its wait status, or nil when it cannot
    /// be waited for.
    public static func waitStatus(for pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return nil }
        }
        return status
    }
}

/// How a child ended, read from its wait status (WIFEXITED, WEXITSTATUS and WTERMSIG are macros
/// Swift does not import).
public enum ChildExit: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    public init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// `exit 3`, `killed by signal 15`.
    public var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signalled(let signal): return "killed by signal \(signal)"
        }
    }
}
