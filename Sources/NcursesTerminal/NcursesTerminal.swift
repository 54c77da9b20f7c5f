@preconcurrency import CNcursesw
import TerminalUI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a terminal could not be started.
public enum TerminalError: Error, CustomStringConvertible, Equatable {
    /// Standard input or output is not a terminal.
    case notATerminal
    /// curses does not know `TERM`.
    case unknownTerminal(String)
    /// The terminal cannot place the cursor (`TERM=dumb`, a printing terminal).
    case cannotAddressCursor(String)
    /// A system call failed.
    case system(String, Int32)

    public var description: String {
        switch self {
        case .notATerminal:
            return
                "the full screen needs a terminal, and standard input or output is not one here. Over SSH, run `ssh -t HOST bbtui` (-t gives it one); to log in without one, `bbtui login --no-tui`; for scripts, the subcommands (`bbtui --help`)."
        case .unknownTerminal(let name):
            return
                "The terminal type \"\(name)\" is unknown to ncurses. Set TERM to one your system knows, for example TERM=xterm-256color."
        case .cannotAddressCursor(let name):
            return
                "This terminal (TERM=\(name)) cannot move the cursor, so bbtui's full screen cannot run in it. Use the commands instead: `bbtui login --no-tui`, `bbtui status`, `bbtui repos` (see `bbtui --help`), or set TERM to your real terminal, e.g. TERM=xterm-256color."
        case .system(let call, let code):
            return "\(call) failed: \(String(cString: strerror(code)))"
        }
    }
}

/// The `Terminal` on real ncurses: the only type in bbtui that talks to curses.
///
/// Output goes through curses' wide-character API into `stdscr`, cell by cell, only for cells
/// that differ from the last frame, and curses sends the minimal update. Input is read from the
/// tty directly and decoded by `KeyDecoder` (see there for why). Waiting blocks in `poll()` on
/// the tty, a wake-up pipe and a signal pipe, so an idle program makes no system calls at all.
public final class NcursesTerminal: Terminal {
    public private(set) var size: Size
    public let capabilities: TerminalCapabilities
    public let waker: any Waker

    /// How long a lone ESC waits for the rest of a sequence before it counts as the Esc key.
    public static let escapeDelay: Duration = .milliseconds(25)

    private let inputFD: Int32
    private let outputFD: Int32
    private let screenPointer: OpaquePointer
    private let inputFile: UnsafeMutablePointer<FILE>
    private let outputFile: UnsafeMutablePointer<FILE>
    private let wakePipe: (read: Int32, write: Int32)
    private let signalPipe: (read: Int32, write: Int32)
    /// When the last bytes arrived from the tty (an unfinished paste ends after a silence).
    private var lastInput = ContinuousClock.now
    private let multiplexer: String?
    private var decoder = KeyDecoder()
    private var queued: [TerminalEvent] = []
    private var previous: Screen?
    private var colorPairs: [Int: Int16] = [:]
    private var isMouseEnabled = false
    private var isOpen = true
    private var isResumingFromSuspend = false
    /// Whether the terminal has an alternate screen (terminfo `rmcup`): without one, quitting clears.
    private var hasAlternateScreen = true
    private let restoreBytes: [UInt8]

    /// Starts curses on the given descriptors (standard input and output by default).
    ///
    /// - Parameters:
    ///   - environment: read for `TERM`, `NO_COLOR`, `TMUX` and `STY`.
    ///   - setsLocale: calls `setlocale(LC_ALL, "")` first; tests that set a locale themselves pass false.
    ///   - exitDeferral: asked from a signal handler whether the process must not exit yet (see
    ///     `SignalRelay.install`); it must be async-signal-safe.
    public init(
        inputFD: Int32 = STDIN_FILENO, outputFD: Int32 = STDOUT_FILENO, environment: [String: String],
        setsLocale: Bool = true, exitDeferral: (@convention(c) (Int32) -> Bool)? = nil
    ) throws {
        guard isatty(inputFD) == 1, isatty(outputFD) == 1 else { throw TerminalError.notATerminal }
        if setsLocale { setlocale(LC_ALL, "") }
        let codeset = String(cString: bbtui_codeset())
        let isUnicode = codeset.uppercased().replacingUTF8Dash() == "UTF8"

        self.inputFD = inputFD
        self.outputFD = outputFD
        guard let inFile = fdopen(dup(inputFD), "r"), let outFile = fdopen(dup(outputFD), "w") else {
            throw TerminalError.system("fdopen", errno)
        }
        inputFile = inFile
        outputFile = outFile
        let termName = environment["TERM"].flatMap { $0.isEmpty ? nil : $0 } ?? "xterm"
        var savedModes = termios()
        let hasModes = tcgetattr(inputFD, &savedModes) == 0
        bbtui_set_escdelay(25)
        guard let screen = newterm(termName, outFile, inFile) else {
            fclose(inFile)
            fclose(outFile)
            throw TerminalError.unknownTerminal(termName)
        }
        // Without cursor addressing curses "runs" and shows nothing useful: refuse instead.
        if tigetstr("cup").map({ Int(bitPattern: $0) == -1 || Int(bitPattern: $0) == 0 }) ?? true {
            endwin()
            delscreen(screen)
            fclose(inFile)
            fclose(outFile)
            throw TerminalError.cannotAddressCursor(termName)
        }
        screenPointer = screen
        set_term(screen)
        raw()
        noecho()
        nonl()
        intrflush(stdscr, false)
        keypad(stdscr, false)
        typeahead(-1)
        curs_set(0)
        let wantsColor = has_colors() && environment["NO_COLOR"].map { $0.isEmpty } ?? true
        if wantsColor {
            start_color()
            use_default_colors()
        }
        capabilities = TerminalCapabilities(
            isUnicode: isUnicode, hasColor: wantsColor,
            hasHyperlinks: TerminalCapabilities.hyperlinks(environment: environment))
        multiplexer = OSC52.multiplexer(environment: environment)

        var rows: Int32 = 0
        var cols: Int32 = 0
        bbtui_getmaxyx(stdscr, &rows, &cols)
        size = Size(width: Int(cols), height: Int(rows))

        wakePipe = try NcursesTerminal.makePipe()
        signalPipe = try NcursesTerminal.makePipe()
        waker = PipeWaker(fd: wakePipe.write)

        // What the last-resort restore writes: leave the alternate screen, show the cursor, stop
        // bracketed paste and mouse reports, reset attributes.
        let exitCA =
            tigetstr("rmcup").flatMap { pointer -> String? in
                Int(bitPattern: pointer) == -1 ? nil : String(cString: pointer)
            } ?? ""
        hasAlternateScreen = !exitCA.isEmpty
        restoreBytes = Array((NcursesTerminal.modesOff + "\u{1B}[0m\u{1B}[?25h" + exitCA + "\r\n").utf8)
        SignalRelay.install(
            writeFD: signalPipe.write, ttyFD: outputFD, restore: restoreBytes, termios: hasModes ? savedModes : nil,
            deferral: exitDeferral)
        writeRaw(NcursesTerminal.pasteOn)
        NcursesTerminal.registerExitHook()
    }

    deinit {
        restore()
    }

    // MARK: - Lifecycle

    /// Gives the terminal back exactly as it was: normal screen, cursor, modes. Idempotent; call
    /// it on every exit path (the program does, and `deinit` does too).
    public func restore() {
        guard isOpen else { return }
        isOpen = false
        writeRaw(NcursesTerminal.modesOff)
        curs_set(1)
        endwin()
        // Without an alternate screen the last frame would stay under the shell's prompt.
        if !hasAlternateScreen { writeRaw("\u{1B}[H\u{1B}[2J") }
        delscreen(screenPointer)
        fclose(inputFile)
        fclose(outputFile)
        SignalRelay.disarm()
        SignalRelay.uninstall()
        for fd in [wakePipe.read, wakePipe.write, signalPipe.read, signalPipe.write] { close(fd) }
    }

    private static let pasteOn = "\u{1B}[?2004h"
    private static let mouseOn = "\u{1B}[?1000h\u{1B}[?1002h\u{1B}[?1006h"
    private static let mouseOff = "\u{1B}[?1006l\u{1B}[?1002l\u{1B}[?1000l"
    private static let modesOff = "\u{1B}[?2004l" + mouseOff

    nonisolated(unsafe) private static var isExitHookRegistered = false

    /// A process that calls `exit()` anywhere still gets its terminal back.
    private static func registerExitHook() {
        guard !isExitHookRegistered else { return }
        isExitHookRegistered = true
        atexit { SignalRelay.emergencyRestore() }
    }

    // MARK: - Events

    public func nextEvent(timeout: Duration?) -> TerminalEvent? {
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now + $0 }
        while true {
            if !queued.isEmpty { return queued.removeFirst() }
            var waitMilliseconds: Int32 = -1
            if let deadline {
                let remaining = clock.now.duration(to: deadline)
                if remaining <= .zero { return nil }
                waitMilliseconds = Int32(clamping: remaining.milliseconds)
            }
            let escapePending = decoder.hasPending
            let pasteOpen = decoder.isInPaste
            if escapePending || pasteOpen {
                let delay =
                    pasteOpen
                    ? Int32(clamping: max(0, (lastInput + KeyDecoder.unfinishedPasteSilence - clock.now).milliseconds))
                    : Int32(NcursesTerminal.escapeDelay.milliseconds)
                waitMilliseconds = waitMilliseconds < 0 ? delay : min(waitMilliseconds, delay)
            }
            var fds = [
                pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0),
                pollfd(fd: signalPipe.read, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), waitMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return .signal(.hangup)
            }
            if ready == 0 {
                if escapePending { queued.append(contentsOf: decoder.flushPending()) }
                if pasteOpen, lastInput.duration(to: clock.now) >= KeyDecoder.unfinishedPasteSilence {
                    queued.append(contentsOf: decoder.closeUnfinishedPaste())
                }
                continue
            }
            if fds[2].revents != 0 { handleSignals() }
            if fds[1].revents != 0 {
                drain(wakePipe.read)
                queued.append(.wake)
            }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = read(inputFD, &buffer, buffer.count)
                if count > 0 {
                    lastInput = clock.now
                    queued.append(contentsOf: decoder.feed(buffer[0..<count]))
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    queued.append(.signal(.hangup))
                }
            } else if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                queued.append(.signal(.hangup))
            }
        }
    }

    private func handleSignals() {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(signalPipe.read, &buffer, buffer.count)
        guard count > 0 else { return }
        for number in buffer[0..<count].map(Int32.init) {
            switch number {
            case SIGWINCH: refreshSize()
            case SIGINT: queued.append(.signal(.interrupt))
            case SIGTERM: queued.append(.signal(.terminate))
            case SIGHUP: queued.append(.signal(.hangup))
            case SIGQUIT: queued.append(.signal(.quit))
            case SIGTSTP: queued.append(.signal(.suspend))
            case SIGCONT:
                // After our own `suspend()` the terminal was already re-entered.
                if isResumingFromSuspend {
                    isResumingFromSuspend = false
                } else {
                    reenter()
                }
                queued.append(.resumed)
            default: break
            }
        }
    }

    /// Reads the tty's size; on a change resizes curses and queues a resize event.
    private func refreshSize() {
        var rows: Int32 = 0
        var cols: Int32 = 0
        guard bbtui_window_size(outputFD, &rows, &cols) == 0 else { return }
        let newSize = Size(width: Int(cols), height: Int(rows))
        guard newSize != size else { return }
        resize_term(max(1, rows), max(1, cols))
        size = newSize
        invalidate()
        queued.removeAll { if case .resize = $0 { return true } else { return false } }
        queued.append(.resize(newSize))
    }

    private func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    // MARK: - Output

    public func draw(_ screen: Screen) {
        guard isOpen else { return }
        let width = min(screen.size.width, size.width)
        let height = min(screen.size.height, size.height)
        let old = previous.flatMap { $0.size == screen.size ? $0 : nil }
        if old == nil { werase(stdscr) }
        for y in 0..<height {
            var x = 0
            while x < width {
                let cell = screen[x, y]
                if let old, old[x, y] == cell, !(cell.isContinuation && old[x - 1, y] != screen[x - 1, y]) {
                    x += 1
                    continue
                }
                if cell.isContinuation {
                    // Redraw the wide character this cell belongs to.
                    if x > 0 { put(screen[x - 1, y], x: x - 1, y: y, limit: width) }
                } else {
                    put(cell, x: x, y: y, limit: width)
                }
                x += 1
            }
        }
        if let cursor = screen.cursor, cursor.x < size.width, cursor.y < size.height {
            wmove(stdscr, Int32(cursor.y), Int32(cursor.x))
            curs_set(1)
        } else {
            curs_set(0)
        }
        wnoutrefresh(stdscr)
        doupdate()
        if capabilities.hasHyperlinks { drawLinks(screen, over: old, width: width, height: height) }
        previous = screen
    }

    /// Redraws each link that is new or whose cells changed, wrapped in OSC 8. The cursor and
    /// the graphic rendition are saved and restored around it (DECSC/DECRC), so curses' idea of
    /// the terminal stays true.
    private func drawLinks(_ screen: Screen, over old: Screen?, width: Int, height: Int) {
        var out = ""
        for link in screen.links where link.y < height && link.x < width {
            let end = min(width, link.x + link.width)
            let unchanged =
                old.map { old in
                    old.links.contains(link) && (link.x..<end).allSatisfy { old[$0, link.y] == screen[$0, link.y] }
                } ?? false
            if unchanged { continue }
            var text = ""
            for x in link.x..<end {
                let cell = screen[x, link.y]
                if cell.isContinuation { continue }
                text += capabilities.isUnicode ? cell.text : AsciiFallback.character(for: cell.text)
            }
            // The URL passed `Hyperlink.safeURL`: printable ASCII only, nothing that can end
            // or extend the sequence.
            out +=
                "\u{1B}7\u{1B}[\(link.y + 1);\(link.x + 1)H" + sgr(screen[link.x, link.y].style)
                + "\u{1B}]8;;\(link.url)\u{1B}\\" + text + "\u{1B}]8;;\u{1B}\\\u{1B}8"
        }
        if !out.isEmpty { writeRaw(out) }
    }

    /// The SGR sequence for a style, from a reset.
    private func sgr(_ style: Style) -> String {
        var codes = ["0"]
        if style.attributes.contains(.bold) { codes.append("1") }
        if style.attributes.contains(.dim) { codes.append("2") }
        if style.attributes.contains(.underline) { codes.append("4") }
        if style.attributes.contains(.reverse) { codes.append("7") }
        if capabilities.hasColor {
            if style.foreground != .default {
                codes.append(
                    String(
                        style.foreground.rawValue < 8 ? 30 + style.foreground.rawValue : 82 + style.foreground.rawValue)
                )
            }
            if style.background != .default {
                codes.append(
                    String(
                        style.background.rawValue < 8 ? 40 + style.background.rawValue : 92 + style.background.rawValue)
                )
            }
        }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }

    private func put(_ cell: Cell, x: Int, y: Int, limit: Int) {
        var text = cell.text
        let width = DisplayWidth.of(Character(text.isEmpty ? " " : text))
        if width == 2 && x + 1 >= limit { text = " " }
        if !capabilities.isUnicode, text.unicodeScalars.contains(where: { $0.value >= 0x80 }) {
            text = AsciiFallback.character(for: text)
        }
        var wide: [wchar_t] = text.unicodeScalars.prefix(Int(CCHARW_MAX)).map { wchar_t(bitPattern: $0.value) }
        wide.append(0)
        var character = cchar_t()
        let (attributes, pair) = curses(cell.style)
        bbtui_setcchar(&character, wide, attributes, pair)
        mvwadd_wch(stdscr, Int32(y), Int32(x), &character)
        if !capabilities.isUnicode && width == 2 && x + 1 < limit {
            mvwaddnstr(stdscr, Int32(y), Int32(x + 1), "?", 1)
        }
    }

    private func curses(_ style: Style) -> (attr_t, Int16) {
        var attributes = bbtui_a_normal()
        if style.attributes.contains(.bold) { attributes |= bbtui_a_bold() }
        if style.attributes.contains(.dim) { attributes |= bbtui_a_dim() }
        if style.attributes.contains(.reverse) { attributes |= bbtui_a_reverse() }
        if style.attributes.contains(.underline) { attributes |= bbtui_a_underline() }
        guard capabilities.hasColor, style.foreground != .default || style.background != .default else {
            return (attributes, 0)
        }
        var foreground = Int16(style.foreground.rawValue)
        var background = Int16(style.background.rawValue)
        if COLORS < 16 {
            // Bright colours on an 8-colour terminal: the base colour, bold.
            if foreground >= 8 {
                foreground -= 8
                attributes |= bbtui_a_bold()
            }
            if background >= 8 { background -= 8 }
        }
        let key = Int(foreground) * 64 + Int(background)
        if let pair = colorPairs[key] { return (attributes, pair) }
        let next = Int16(colorPairs.count + 1)
        guard Int32(next) < COLOR_PAIRS else { return (attributes, 0) }
        init_pair(next, foreground, background)
        colorPairs[key] = next
        return (attributes, next)
    }

    public func invalidate() {
        previous = nil
        clearok(curscr, true)
    }

    // MARK: - Clipboard, plain text, mouse, suspend

    public func copy(_ text: String) -> ClipboardResult {
        let (bytes, result) = OSC52.sequences(for: text, multiplexer: multiplexer)
        if !bytes.isEmpty { writeRaw(bytes) }
        return result
    }

    public func showPlainly(_ text: String, prompt: String) {
        guard isOpen else { return }
        def_prog_mode()
        writeRaw(NcursesTerminal.modesOff)
        endwin()
        // The prompt is wrapped at word boundaries; the text's own lines are kept as they are (a
        // URL stays one unbroken line for the terminal's selection).
        let columns = max(1, size.width)
        let promptLines = TextLayout.wrap(prompt, width: columns)
        let textLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        writeRaw(
            "\r\n" + textLines.joined(separator: "\r\n") + "\r\n\r\n" + promptLines.joined(separator: "\r\n"))
        // Wait for one key in non-canonical mode without echo, then return to curses.
        var modes = termios()
        if tcgetattr(inputFD, &modes) == 0 {
            var waiting = modes
            waiting.c_lflag &= ~tcflag_t(ICANON | ECHO)
            tcsetattr(inputFD, TCSANOW, &waiting)
            waitForKey()
            tcsetattr(inputFD, TCSANOW, &modes)
        }
        // Take the text back off the normal screen, so it is not left under the shell's prompt
        // after bbtui quits: up over every row it used (wrapped), then erase to the end.
        func rows(_ line: String) -> Int { max(1, (DisplayWidth.of(line) + columns - 1) / columns) }
        let used = 1 + textLines.map(rows).reduce(0, +) + 1 + max(1, promptLines.count) - 1
        writeRaw("\r" + (used > 0 ? "\u{1B}[\(used)A" : "") + "\u{1B}[J")
        reenter()
    }

    private func waitForKey() {
        var fds = [
            pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signalPipe.read, events: Int16(POLLIN), revents: 0),
        ]
        while poll(&fds, 2, -1) < 0 && errno == EINTR {}
        if fds[1].revents != 0 {
            handleSignals()
            return
        }
        // Swallow the whole key (an escape sequence is several bytes).
        var buffer = [UInt8](repeating: 0, count: 256)
        _ = read(inputFD, &buffer, buffer.count)
    }

    /// Returns to curses mode after `endwin`, with every cell repainted.
    private func reenter() {
        reset_prog_mode()
        writeRaw(NcursesTerminal.pasteOn + (isMouseEnabled ? NcursesTerminal.mouseOn : ""))
        // stdscr still holds the last frame: repaint all of it.
        clearok(curscr, true)
        wrefresh(stdscr)
        refreshSize()
    }

    public func setMouseReporting(_ isEnabled: Bool) {
        isMouseEnabled = isEnabled
        writeRaw(isEnabled ? NcursesTerminal.mouseOn : NcursesTerminal.mouseOff)
    }

    public func runOutside(_ body: () -> Void) {
        guard isOpen else { return body() }
        def_prog_mode()
        writeRaw(NcursesTerminal.modesOff)
        endwin()
        SignalRelay.yieldKeySignals()
        body()
        SignalRelay.reclaimKeySignals()
        reenter()
    }

    public func suspend() {
        guard isOpen else { return }
        def_prog_mode()
        writeRaw(NcursesTerminal.modesOff)
        endwin()
        signal(SIGTSTP, SIG_DFL)
        isResumingFromSuspend = true
        // Stop this thread's way: a process-directed kill() may be taken by another thread
        // after the handler is back (and then it only relays), while this thread may have
        // SIGTSTP blocked (threads made from dispatch threads inherit a full mask). Unblock it
        // here and raise it here: raise() returns only after the stop and SIGCONT.
        var stopSet = sigset_t()
        var previousMask = sigset_t()
        sigemptyset(&stopSet)
        sigaddset(&stopSet, SIGTSTP)
        pthread_sigmask(SIG_UNBLOCK, &stopSet, &previousMask)
        raise(SIGTSTP)
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        // Execution continues here after `fg` (SIGCONT, whose relay byte also repaints).
        SignalRelay.resumeHandling()
        reenter()
    }

    // MARK: - Helpers

    private func writeRaw(_ text: String) {
        fflush(outputFile)
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(outputFD, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            offset += written
        }
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TerminalError.system("pipe", errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }
}

/// Wakes `nextEvent` by writing a byte to a non-blocking pipe; safe from any thread.
final class PipeWaker: Waker {
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    func wake() {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }
}

extension String {
    /// "UTF-8" and "utf8" alike become "UTF8".
    fileprivate func replacingUTF8Dash() -> String { filter { $0 != "-" } }
}

extension Duration {
    fileprivate var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
