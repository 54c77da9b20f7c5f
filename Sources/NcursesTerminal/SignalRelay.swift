#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Process-wide signal state

// Signal handlers may only touch async-signal-safe state: these globals are written once on the
// UI thread before the handlers are installed, and then only read by the handlers.
// `nonisolated(unsafe)` is safe here because of that write-once-then-read discipline.
nonisolated(unsafe) private var relayWriteFD: Int32 = -1
nonisolated(unsafe) private var emergencyFD: Int32 = -1
nonisolated(unsafe) private var emergencyBytes: UnsafeMutablePointer<UInt8>?
nonisolated(unsafe) private var emergencyLength = 0
nonisolated(unsafe) private var savedTermios = termios()
nonisolated(unsafe) private var hasSavedTermios = false
nonisolated(unsafe) private var pendingTerminations: Int32 = 0
nonisolated(unsafe) private var exitDeferral: (@convention(c) (Int32) -> Bool)?
nonisolated(unsafe) private var previousActions: [Int32: sigaction] = [:]

/// Turns POSIX signals into bytes on a pipe the UI thread polls, so every signal is handled on
/// the UI thread like any other event, and restores the terminal by itself as a last resort.
///
/// A handler may not call curses (not async-signal-safe). It writes the signal number to a
/// pipe and returns. If a terminating signal arrives a second time before the program has
/// reacted (a wedged UI thread), the handler restores the terminal with raw `write` and
/// `tcsetattr` (both async-signal-safe) and exits, so the person never keeps a garbled terminal.
enum SignalRelay {
    static let handled: [Int32] = [SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT]

    /// Installs the handlers, once per terminal. `writeFD` is the pipe's write end; `ttyFD` and
    /// `restore` are used by the last-resort restore.
    ///
    /// The globals are written here only, while no handler of ours is installed (a first
    /// terminal, or one opened after the previous was restored and uninstalled), so a handler
    /// never sees them half-written; an earlier terminal's restore bytes are freed then.
    ///
    /// `deferral` is asked, from the handler, whether something must finish before the process
    /// may exit (a token refresh between its answer and its commit): a second terminating signal
    /// then restores the terminal and leaves the exit to it, instead of exiting at once.
    static func install(
        writeFD: Int32, ttyFD: Int32, restore: [UInt8], termios saved: termios?,
        deferral: (@convention(c) (Int32) -> Bool)? = nil
    ) {
        // What the process had before (a command's own handlers) comes back at `uninstall`.
        if previousActions.isEmpty {
            for number in handled + fatal {
                var previous = sigaction()
                sigaction(number, nil, &previous)
                previousActions[number] = previous
            }
        }
        for number in handled + fatal { signal(number, SIG_DFL) }
        exitDeferral = deferral
        if let previous = emergencyBytes {
            emergencyBytes = nil
            previous.deallocate()
        }
        relayWriteFD = writeFD
        emergencyFD = ttyFD
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, restore.count))
        buffer.initialize(from: restore, count: restore.count)
        emergencyBytes = buffer
        emergencyLength = restore.count
        if let saved {
            savedTermios = saved
            hasSavedTermios = true
        }
        for number in handled { signal(number, relayHandler) }
        for number in fatal { signal(number, fatalHandler) }
        signal(SIGPIPE, SIG_IGN)
    }

    /// Signals that end the process without any cleanup (a crash, an abort): the terminal is
    /// restored first, then the signal takes its default course (core dump and all).
    static let fatal: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE]

    /// Takes SIGTSTP again after a suspension (the suspend set it to its default to stop); the
    /// globals are untouched.
    static func resumeHandling() {
        signal(SIGTSTP, relayHandler)
    }

    /// While a program of the person's has the terminal: Ctrl-C and Ctrl-\\ are its own (bbtui
    /// ignores them, as `system()` does), and Ctrl-Z stops both, so the shell's `fg` resumes both.
    static func yieldKeySignals() {
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)
        signal(SIGTSTP, SIG_DFL)
    }

    /// Takes Ctrl-C, Ctrl-\\ and Ctrl-Z back after `yieldKeySignals`.
    static func reclaimKeySignals() {
        for number in [SIGINT, SIGQUIT, SIGTSTP] { signal(number, relayHandler) }
    }

    /// Puts back the dispositions the process had before `install`.
    static func uninstall() {
        relayWriteFD = -1
        for number in handled + fatal {
            if var previous = previousActions[number] {
                sigaction(number, &previous, nil)
            } else {
                signal(number, SIG_DFL)
            }
        }
        previousActions = [:]
    }

    /// Restores the terminal from anywhere, with async-signal-safe calls only.
    static func emergencyRestore() {
        if let bytes = emergencyBytes, emergencyFD >= 0 {
            _ = write(emergencyFD, bytes, emergencyLength)
        }
        if hasSavedTermios, emergencyFD >= 0 {
            _ = tcsetattr(emergencyFD, TCSANOW, &savedTermios)
        }
    }

    /// Marks the terminal as restored, so `emergencyRestore` does nothing any more.
    static func disarm() {
        emergencyFD = -1
    }

    /// Counts a termination request, to tell a wedged UI thread from a busy one.
    static func resetTerminationCount() {
        pendingTerminations = 0
    }
}

private let relayHandler: @convention(c) (Int32) -> Void = { number in
    let savedErrno = errno
    defer { errno = savedErrno }
    if number == SIGINT || number == SIGTERM || number == SIGHUP || number == SIGQUIT {
        pendingTerminations += 1
        if pendingTerminations >= 2 {
            SignalRelay.emergencyRestore()
            // A refresh being committed exits the process itself once its pair is stored.
            if let exitDeferral, exitDeferral(number) { return }
            _exit(128 + number)
        }
    }
    var byte = UInt8(truncatingIfNeeded: number)
    if relayWriteFD >= 0 { _ = write(relayWriteFD, &byte, 1) }
}

private let fatalHandler: @convention(c) (Int32) -> Void = { number in
    SignalRelay.emergencyRestore()
    signal(number, SIG_DFL)
    raise(number)
}
