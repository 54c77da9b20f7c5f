import Synchronization
import TerminalUI

/// An in-memory terminal for tests of whole programs: scripted events in, frames out.
///
/// `nextEvent` hands out the scripted events in order; when they run out it returns
/// `.signal(.terminate)`, so a program under test always ends.
public final class TestTerminal: Terminal {
    public private(set) var size: Size
    public let capabilities: TerminalCapabilities
    public let waker: any Waker
    /// Every frame drawn, in order.
    public private(set) var frames: [Screen] = []
    /// Every text copied.
    public private(set) var copied: [String] = []
    /// Every text shown plainly.
    public private(set) var shownPlainly: [String] = []
    /// The last mouse reporting state set.
    public private(set) var isMouseReporting = false
    /// How many times the program asked for a full repaint.
    public private(set) var invalidations = 0
    /// What `copy` answers.
    public var clipboardResult: ClipboardResult = .osc52

    private var script: [TerminalEvent]
    private let wakeups: TestWaker

    /// Creates a terminal of `size` that will deliver `events`.
    public init(
        size: Size = Size(width: 80, height: 24), capabilities: TerminalCapabilities = TerminalCapabilities(),
        events: [TerminalEvent] = []
    ) {
        self.size = size
        self.capabilities = capabilities
        self.script = events
        let waker = TestWaker()
        self.wakeups = waker
        self.waker = waker
    }

    /// The last frame drawn.
    public var lastFrame: Screen? { frames.last }

    /// Adds events to the end of the script.
    public func enqueue(_ events: TerminalEvent...) {
        script.append(contentsOf: events)
    }

    public func nextEvent(timeout: Duration?) -> TerminalEvent? {
        if wakeups.take() { return .wake }
        guard !script.isEmpty else { return .signal(.terminate) }
        let event = script.removeFirst()
        if case .resize(let newSize) = event { size = newSize }
        return event
    }

    public func draw(_ screen: Screen) { frames.append(screen) }
    public func invalidate() { invalidations += 1 }

    public func copy(_ text: String) -> ClipboardResult {
        copied.append(text)
        return clipboardResult
    }

    public func showPlainly(_ text: String, prompt: String) { shownPlainly.append(text) }
    public func setMouseReporting(_ isEnabled: Bool) { isMouseReporting = isEnabled }
    public func suspend() {}
    /// How many times a program took the terminal.
    public private(set) var outsideRuns = 0
    public func runOutside(_ body: () -> Void) {
        outsideRuns += 1
        body()
    }
}

/// A waker that records wake-ups for `TestTerminal`.
final class TestWaker: Waker {
    private let pending = Mutex(false)

    func wake() { pending.withLock { $0 = true } }

    func take() -> Bool {
        pending.withLock { value in
            defer { value = false }
            return value
        }
    }
}
