import CNcursesw
import TerminalUI
import TestSupport
import Testing

@testable import NcursesTerminal

#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal pair with a `VirtualTerminal` reading the master side.
final class PseudoTerminal {
    let master: Int32
    let slave: Int32
    var screen: VirtualTerminal
    private(set) var bytesRead = 0

    init(width: Int, height: Int) throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw TerminalError.system("openpty", errno) }
        self.master = master
        self.slave = slave
        screen = VirtualTerminal(width: width, height: height)
    }

    deinit {
        close(master)
        close(slave)
    }

    /// Reads what is available from the master side into the screen model, until `condition`
    /// holds or the deadline passes. Returns whether the condition held.
    @discardableResult
    func read(until condition: (VirtualTerminal) -> Bool, within seconds: Double = 5) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        while true {
            drain(waitMilliseconds: 20)
            if condition(screen) { return true }
            if clock.now >= deadline { return false }
        }
    }

    /// Reads whatever arrives within a short wait; returns the bytes.
    @discardableResult
    func drain(waitMilliseconds: Int32) -> [UInt8] {
        var collected: [UInt8] = []
        var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 1, waitMilliseconds) > 0 {
            var buffer = [UInt8](repeating: 0, count: 8192)
            let count = Glibc.read(master, &buffer, buffer.count)
            guard count > 0 else { break }
            collected += buffer[0..<count]
        }
        bytesRead += collected.count
        screen.feed(collected)
        return collected
    }

    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }
}

/// curses is process-global, and the test sends SIGWINCH and SIGTERM to its own process: it runs
/// in a child process of its own (the test binary again, filtered to this test), so the signals
/// never reach the other tests running in parallel.
@Suite(.serialized) struct PseudoTerminalTests {
    static let childVariable = "BBTUI_PTY_TEST_CHILD"

    @Test func drawsDecodesResizesWakesAndRestores() throws {
        if getenv(Self.childVariable) != nil {
            try drawsDecodesResizesWakesAndRestoresHere()
            return
        }
        let child = ChildRun.run(
            filter: "PseudoTerminalTests/drawsDecodesResizesWakesAndRestores", setting: Self.childVariable)
        #expect(child.status == 0, "the child failed:\n\(child.output)")
        // The child really ran the test (a filter that matched nothing would also exit 0).
        #expect(child.output.contains("drawsDecodesResizesWakesAndRestores() passed"), "\(child.output)")
    }

    private func drawsDecodesResizesWakesAndRestoresHere() throws {
        setlocale(LC_ALL, "C.UTF-8")
        let pty = try PseudoTerminal(width: 24, height: 6)
        let terminal = try NcursesTerminal(
            inputFD: pty.slave, outputFD: pty.slave, environment: ["TERM": "xterm-256color"], setsLocale: false)
        #expect(terminal.size == Size(width: 24, height: 6))
        #expect(terminal.capabilities.isUnicode)

        // A frame with a box, wide characters and an emoji is shown exactly.
        var frame = Screen(size: terminal.size)
        let inner = Box(title: "bbtui").render(into: &frame, area: frame.bounds)
        frame.put("Hello 世界 🚀", x: inner.x, y: inner.y)
        frame.put("Zoë", x: inner.x, y: inner.y + 1, style: Style(foreground: .green, attributes: .bold))
        terminal.draw(frame)
        let expected = [
            "┌ bbtui ───────────────┐",
            "│Hello 世界 🚀         │",
            "│Zoë                   │",
            "│                      │",
            "│                      │",
            "└──────────────────────┘",
        ]
        #expect(pty.read(until: { $0.lines == expected }), "screen was \(pty.screen.lines)")
        #expect(pty.screen.privateModes.contains(2004))

        // Changing one cell sends a few bytes, not a repaint.
        var next = frame
        next.put("!", x: 4, y: 2)
        let before = pty.bytesRead
        terminal.draw(next)
        #expect(pty.read(until: { $0.lines[2] == "│Zoë!                  │" }))
        #expect(pty.bytesRead - before < 40)

        // Keys typed on the other side arrive decoded; a paste arrives whole.
        pty.type("j\u{1B}OA\u{1B}[200~code=abc\n\u{1B}[201~")
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .key(.character("j")))
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .key(.up))
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .paste("code=abc\n"))
        pty.type("\u{1B}")
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .key(.escape))

        // Nothing pending: a timeout, not an event.
        #expect(terminal.nextEvent(timeout: .milliseconds(30)) == nil)

        // Another thread wakes the waiting UI thread.
        let waker = terminal.waker
        Thread.detach { waker.wake() }
        #expect(terminal.nextEvent(timeout: .seconds(5)) == .wake)

        // A resize, down to 1×1, becomes an event and drawing at that size is safe.
        bbtui_set_window_size(pty.master, 1, 1)
        kill(getpid(), SIGWINCH)
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .resize(Size(width: 1, height: 1)))
        var tiny = Screen(size: terminal.size)
        Box(title: "x").render(into: &tiny, area: tiny.bounds)
        tiny.put("世界", x: 0, y: 0)
        terminal.draw(tiny)
        bbtui_set_window_size(pty.master, 6, 24)
        kill(getpid(), SIGWINCH)
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .resize(Size(width: 24, height: 6)))

        // Copy goes out as OSC 52.
        #expect(terminal.copy("git@bitbucket.org:ws/repo.git") == .osc52)
        #expect(pty.read(until: { $0.oscPayloads.contains("52;c;Z2l0QGJpdGJ1Y2tldC5vcmc6d3MvcmVwby5naXQ=") }))

        // A signal from outside arrives as an event on the UI thread.
        kill(getpid(), SIGTERM)
        #expect(terminal.nextEvent(timeout: .seconds(2)) == .signal(.terminate))
        SignalRelay.resetTerminationCount()

        // Restoring leaves the alternate screen and turns bracketed paste off.
        terminal.restore()
        #expect(pty.read(until: { !$0.privateModes.contains(2004) && !$0.privateModes.contains(1049) }))
    }
}

/// Runs a closure on a new thread (no Foundation needed).
enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            // Only moved into the new thread once; never shared.
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        pthread_create(
            &thread, nil,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        pthread_detach(thread)
    }
}

/// Runs this test binary again, filtered to one test, with a variable set; returns its exit
/// status and output.
enum ChildRun {
    static func run(filter: String, setting variable: String) -> (status: Int32, output: String) {
        let finished = CleanSpawn.run(
            CommandLine.arguments[0], ["--testing-library", "swift-testing", "--filter", filter],
            extraEnvironment: ["\(variable)=1"], mergesErrors: true)
        return (finished.status, finished.output)
    }
}
