import Foundation
import TerminalUI
import TerminalUITesting
import Testing

@testable import App
@testable import BitbucketKit

/// The whole run loop on a `TestTerminal`: scripted events in, frames out.
@Suite struct ProgramTests {
    @Test func scriptedSessionDrawsEveryStep() {
        let terminal = TestTerminal(
            size: Size(width: 80, height: 24),
            events: [
                .key(.character("j")),
                .key(.character("/")),
                .key(.character("b")),
                .key(.character("i")),
                .key(.character("l")),
                .key(.character("l")),
                .key(.enter),
                .resize(Size(width: 40, height: 12)),
                .key(.character("y")),
                .key(.character("q")),
            ])
        let state = Fixtures.state(.browser(Fixtures.browser()))
        let program = Program(
            terminal: terminal, state: state, inbox: ActionInbox(waker: terminal.waker), runner: nil,
            now: { Fixtures.now })
        program.run()
        #expect(program.state.shouldQuit)
        // One initial frame, then one per event except the last (q quits before drawing).
        #expect(terminal.frames.count == 10)
        #expect(terminal.frames[1].lines.last?.hasSuffix("2/5") == true)
        #expect(terminal.frames[6].lines[2].contains("│ /bill"))
        #expect(terminal.frames[7].lines.contains { $0.contains("filter: bill (1)") })
        #expect(terminal.frames[8].size == Size(width: 40, height: 12))
        #expect(terminal.frames[8].lines[1].hasPrefix(" 1 Me  2 Mail  3 Repos  4 Spaces  5 Keys"))
        // `y` copied the filtered selection's SSH URL through the terminal and said so.
        #expect(terminal.copied == ["git@ssh.bitbucket.org:acme-platform/billing.git"])
        #expect(terminal.frames[9].lines.joined(separator: " ").contains("Sent the"))
    }

    @Test func effectResultsArriveThroughTheInbox() {
        let terminal = TestTerminal(size: Size(width: 80, height: 24))
        let inbox = ActionInbox(waker: terminal.waker)
        var browser = Fixtures.browser(repositories: [])
        browser.repositories.progress = .loading(loaded: 0, total: nil)
        let program = Program(
            terminal: terminal, state: Fixtures.state(.browser(browser)), inbox: inbox, runner: nil,
            now: { Fixtures.now })
        // Two batches queued from another thread merge into one action, then wake the loop.
        inbox.send(
            .repositoriesBatch(
                .init(repositories: Array(Fixtures.repositories.prefix(2)), loaded: 2, expectedTotal: 5, failures: [:]))
        )
        inbox.send(
            .repositoriesBatch(
                .init(repositories: Array(Fixtures.repositories.suffix(3)), loaded: 5, expectedTotal: 5, failures: [:]))
        )
        #expect(inbox.drain().count == 1)
        inbox.send(
            .repositoriesBatch(.init(repositories: Fixtures.repositories, loaded: 5, expectedTotal: 5, failures: [:])))
        program.run()
        #expect(program.state.browser?.repositories.all.count == 5)
        #expect(terminal.lastFrame?.lines[1].contains("Repositories · 5") == true)
    }

    /// Issue 23: merging a burst of batches keeps every field of the last one, its ETags
    /// included (they were dropped, and only the runner's own cache write hid it).
    @Test func mergedBatchesKeepEveryFieldOfTheLast() {
        let terminal = TestTerminal(size: Size(width: 80, height: 24))
        let inbox = ActionInbox(waker: terminal.waker)
        let first = RepositoryBatch(
            repositories: Array(Fixtures.repositories.prefix(2)), loaded: 2, expectedTotal: 5, failures: [:])
        let last = RepositoryBatch(
            repositories: Array(Fixtures.repositories.suffix(3)), loaded: 5, expectedTotal: 5,
            failures: ["ops": .server(503, "")],
            mismatches: ["w": CountMismatch(listed: 1, reported: 2, keptChanging: true)],
            isFinal: true, etags: ["acme-platform": "\"e1\"", "ops": "\"e2\""])
        inbox.send(.repositoriesBatch(first))
        inbox.send(.repositoriesBatch(last))
        var expected = last
        expected.repositories = Fixtures.repositories
        #expect(inbox.drain() == [.repositoriesBatch(expected)])
        // A snapshot replaces what came before it, and stays a snapshot.
        var snapshot = first
        snapshot.isSnapshot = true
        inbox.send(.repositoriesBatch(last))
        inbox.send(.repositoriesBatch(snapshot))
        #expect(inbox.drain() == [.repositoriesBatch(snapshot)])
    }
}
