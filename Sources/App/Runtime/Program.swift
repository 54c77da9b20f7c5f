import BitbucketKit
import Foundation
import Synchronization
import TerminalUI

/// Actions waiting for the UI thread, filled from any thread.
public final class ActionInbox: Sendable {
    private let queue = Mutex<[Action]>([])
    private let waker: any Waker

    /// Creates an inbox that wakes `waker` on every delivery.
    public init(waker: any Waker) {
        self.waker = waker
    }

    /// Queues an action and wakes the UI thread.
    public func send(_ action: Action) {
        queue.withLock { $0.append(action) }
        waker.wake()
    }

    /// Takes everything queued. Consecutive repository batches are merged into one, so a burst
    /// of pages costs one update and one frame.
    public func drain() -> [Action] {
        let actions = queue.withLock { queue -> [Action] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        var merged: [Action] = []
        for action in actions {
            if case .repositoriesBatch(let next) = action, case .repositoriesBatch(var previous)? = merged.last {
                previous.absorb(next)
                merged[merged.count - 1] = .repositoriesBatch(previous)
            } else {
                merged.append(action)
            }
        }
        return merged
    }
}

/// The run loop: events and effect results in, `update`, effects out, a frame drawn.
///
/// It blocks in the terminal's `nextEvent` with no timeout while idle, so an idle bbtui makes no
/// wake-ups; a timeout is set only for the spinner (while loading), an expiring message, and the
/// token countdown's next change.
public final class Program {
    public private(set) var state: AppState
    private let terminal: any Terminal
    private let runner: EffectRunner?
    private let inbox: ActionInbox
    private let now: () -> Date
    /// Frames drawn, for tests and benchmarks.
    public private(set) var framesDrawn = 0

    /// Creates a program.
    public init(
        terminal: any Terminal, state: AppState, inbox: ActionInbox, runner: EffectRunner?,
        now: @escaping () -> Date = Date.init
    ) {
        self.terminal = terminal
        self.state = state
        self.inbox = inbox
        self.runner = runner
        self.now = now
    }

    /// Runs until quit. `initialEffects` start the first work (fetches, login preparation).
    public func run(initialEffects: [Effect] = []) {
        state.size = terminal.size
        perform(initialEffects)
        draw()
        while !state.shouldQuit {
            let timeout = nextTimeout()
            let event = terminal.nextEvent(timeout: timeout)
            var actions: [Action] = [.clock(now())]
            if let event {
                actions.append(.event(event))
            } else if state.isBusy {
                actions.append(.tick)
            }
            actions += inbox.drain()
            for action in actions {
                perform(Update.update(&state, action))
                if state.shouldQuit { break }
            }
            if !state.shouldQuit { draw() }
        }
    }

    /// Applies an action as if it had arrived (tests and benchmarks).
    public func dispatch(_ action: Action) {
        perform(Update.update(&state, action))
    }

    /// Draws the current state.
    public func draw() {
        var screen = Screen(size: state.size, glyphs: terminal.capabilities.glyphs)
        AppView.render(state, into: &screen)
        terminal.draw(screen)
        framesDrawn += 1
    }

    private func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .copy(let text, let what):
                dispatch(.copied(terminal.copy(text), what: what))
            case .showPlainly(let text):
                terminal.showPlainly(
                    text,
                    prompt:
                        "Select the line above to copy it (it is one unbroken line). Press any key to return to bbtui.")
                terminal.invalidate()
            case .showText(let text):
                terminal.showPlainly(text, prompt: "Press any key to return to bbtui.")
                terminal.invalidate()
            case .setMouse(let isEnabled):
                terminal.setMouseReporting(isEnabled)
            case .suspend:
                terminal.suspend()
                terminal.invalidate()
            case .redraw:
                terminal.invalidate()
            case .runCommand(let command, let repository) where !command.background:
                let arguments = runner?.commandArguments(command, repository)
                guard case .success(let argv)? = arguments else {
                    let reason: String
                    if case .failure(let refusal)? = arguments {
                        reason = refusal.message
                    } else {
                        reason = "no runner"
                    }
                    dispatch(.commandFinished(title: command.title, .refused(reason)))
                    continue
                }
                var outcome = CommandOutcome.refused("it did not start")
                terminal.runOutside { outcome = CustomCommandRunner.run(argv, foreground: true) }
                terminal.invalidate()
                dispatch(.commandFinished(title: command.title, outcome))
            case .quit:
                state.shouldQuit = true
            default:
                runner?.run(effect)
            }
        }
    }

    private func nextTimeout() -> Duration? {
        var candidates: [TimeInterval] = []
        if state.isBusy { candidates.append(0.08) }
        if let expiry = state.messageExpiresAt { candidates.append(max(0.01, expiry.timeIntervalSince(state.now))) }
        if let browser = state.browser {
            // The header counts down in minutes: wake when the shown value changes.
            let remaining = browser.account.tokenExpiresAt.timeIntervalSince(state.now)
            if remaining > 0 {
                let step: TimeInterval = remaining < 60 ? 1 : 60
                candidates.append(max(0.05, remaining.truncatingRemainder(dividingBy: step) + 0.01))
            }
        }
        guard let shortest = candidates.min() else { return nil }
        return .milliseconds(Int64(shortest * 1000))
    }
}
