import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds off a terminating signal while a token refresh is between its request and its commit.
///
/// Bitbucket rotates refresh tokens: once it has answered a refresh, the stored refresh token is
/// replaced, and a process that dies before writing the new pair loses the session. So a
/// catchable signal (HUP, TERM, INT, QUIT) that arrives inside that window is recorded instead
/// of acted on, and the process exits with the signal's status (128 + n) as soon as the commit
/// is done. A second signal changes nothing; the request's own deadline bounds the wait.
///
/// The state is one atomic word, so a signal handler may read and write it (lock-free atomics
/// are async-signal-safe): the low 32 bits count the refreshes inside their window, the high bits
/// hold the signal waiting for them. Every change is a compare-and-exchange, so a signal that
/// lands while the last window closes is either seen by the closing thread or exits by itself.
public enum TokenCommitGuard {
    private static let state = Atomic<Int>(0)
    private static let depthMask = 0xFFFF_FFFF

    /// Makes the state ready before any handler may touch it (a global's first use is not
    /// async-signal-safe).
    public static func prepare() {
        _ = state.load(ordering: .relaxed)
    }

    /// True while some refresh is inside its window.
    public static var isBusy: Bool { state.load(ordering: .acquiring) & depthMask != 0 }

    /// The signal recorded while a window was open, if any.
    public static var pendingSignal: Int32? {
        let signal = Int32(truncatingIfNeeded: state.load(ordering: .acquiring) >> 32)
        return signal == 0 ? nil : signal
    }

    /// Runs `body` (the refresh request and the commit of its answer) inside the window.
    public static func withWindow<T>(_ body: () async throws -> T) async rethrows -> T {
        enter()
        defer { leave() }
        return try await body()
    }

    static func enter() {
        state.wrappingAdd(1, ordering: .acquiringAndReleasing)
    }

    static func leave() {
        var current = state.load(ordering: .acquiring)
        while true {
            let next = current - 1
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: next, ordering: .acquiringAndReleasing)
            if exchanged {
                if next & depthMask == 0, next >> 32 != 0 { _exit(128 + Int32(truncatingIfNeeded: next >> 32)) }
                return
            }
            current = original
        }
    }

    /// Called from a signal handler: records `signal` and returns true while a window is open
    /// (the process exits when it closes); returns false when nothing holds the exit.
    /// Async-signal-safe.
    public static func deferSignal(_ signal: Int32) -> Bool {
        var current = state.load(ordering: .acquiring)
        while true {
            guard current & depthMask != 0 else { return false }
            // The first signal's status is the one reported.
            let desired = current >> 32 != 0 ? current : current | (Int(signal) << 32)
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: desired, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
    }

    /// The handler the commands install: exit with the signal's status now, or as soon as the
    /// open window closes.
    public static let exitingHandler: @convention(c) (Int32) -> Void = { signal in
        if !TokenCommitGuard.deferSignal(signal) { _exit(128 + signal) }
    }

    /// The signals that end a command and are held off during a commit.
    public static let terminatingSignals: [Int32] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM]

    /// Installs `exitingHandler` for the terminating signals (a command's whole run). A signal
    /// the process was started with ignored (`nohup`) stays ignored; one it inherited blocked is
    /// unblocked, so it is acted on rather than left pending until the command ends.
    public static func installExitingHandlers() {
        prepare()
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in terminatingSignals { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signal in terminatingSignals {
            var current = sigaction()
            sigaction(signal, nil, &current)
            #if canImport(Glibc)
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue } // SIG_IGN
            #endif
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = exitingHandler
            #else
            action.__sigaction_u.__sa_handler = exitingHandler
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    /// For a front end that handled `signal` itself (the TUI, after restoring the terminal):
    /// returns at once when no window is open; otherwise records the signal, so the process exits
    /// with its status when the window closes, and waits for that, at most `limit`.
    /// With no signal (a front end quitting normally), it only waits for open windows to close.
    public static func exitWhenCommitted(signal: Int32?, limit: Duration) {
        if let signal {
            guard deferSignal(signal) else { return }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        // The closing thread exits the process; this one only waits, in short steps, for the
        // rare case of a window still open at its bound.
        while isBusy, clock.now < deadline {
            var pause = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&pause, nil)
        }
    }
}
