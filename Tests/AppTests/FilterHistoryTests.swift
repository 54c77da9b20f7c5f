import BitbucketKit
import Foundation
import TerminalUI
import Testing

@testable import App

/// Issue 22 (its first part): the filters kept with Enter come back with ↑ and ↓.
@Suite struct FilterHistoryTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .event(.key($0))) }
    }

    func type(_ state: inout AppState, _ text: String) {
        for character in text { _ = Update.update(&state, .event(.key(.character(character)))) }
    }

    var field: (AppState) -> String? { { $0.browser?.repositories.filterField.text } }

    @Test func enterKeepsAFilterAndUpRecallsIt() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = press(&state, .character("/"))
        type(&state, "launch")
        #expect(press(&state, .enter) == [.saveFilterHistory(["launch"])])
        _ = press(&state, .character("/"))
        _ = press(&state, .ctrl("u"))
        type(&state, "bill")
        #expect(press(&state, .enter) == [.saveFilterHistory(["bill", "launch"])])
        // Kept again: moved to the front, once.
        _ = press(&state, .character("/"), .ctrl("u"))
        type(&state, "launch")
        #expect(press(&state, .enter) == [.saveFilterHistory(["launch", "bill"])])
        // ↑ recalls, ↑ again goes further back and stops at the oldest; ↓ comes back to what was typed.
        _ = press(&state, .character("/"), .ctrl("u"))
        type(&state, "ap")
        #expect(press(&state, .up) == [])
        #expect(field(state) == "launch")
        #expect(state.browser?.repositories.filter == "launch")
        _ = press(&state, .up, .up)
        #expect(field(state) == "bill")
        _ = press(&state, .down)
        #expect(field(state) == "launch")
        _ = press(&state, .down)
        #expect(field(state) == "ap")
        #expect(state.browser?.repositories.filter == "ap")
        _ = press(&state, .down)
        #expect(field(state) == "ap")
        // Typing or pasting after a recall leaves the history: ↓ no longer brings back a draft.
        _ = press(&state, .up)
        _ = Update.update(&state, .event(.paste("x")))
        #expect(field(state) == "launchx")
        _ = press(&state, .down)
        #expect(field(state) == "launchx")
        #expect(state.browser?.repositories.filter == "launchx")
        // Esc clears without keeping anything.
        #expect(press(&state, .escape) == [])
        #expect(state.browser?.repositories.filterHistory == ["launch", "bill"])
    }

    @Test func nothingIsKeptForAnEmptyFilterAndUpWithoutHistoryDoesNothing() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = press(&state, .character("/"))
        #expect(press(&state, .up, .down) == [])
        #expect(field(state) == "")
        type(&state, "   ")
        #expect(press(&state, .enter) == [])
    }

    @Test func theHistoryKeepsTheLastHundred() {
        var history: [String] = []
        for index in 0..<150 { history = FilterHistory.adding("f\(index)", to: history) }
        #expect(history.count == 100)
        #expect(history.first == "f149" && history.last == "f50")
        #expect(FilterHistory.adding("  f60 ", to: history).prefix(2) == ["f60", "f149"])
        #expect(FilterHistory.adding("f60", to: history).count == 100)
    }

    @Test func theHistoryComesFromTheCacheWithTheAccount() {
        var record = AccountRecord(summary: Fixtures.account)
        record.cached.filterHistory = ["gate", "api"]
        let (state, _) = Update.start(
            record: record, size: Size(width: 80, height: 24), now: Fixtures.now,
            environment: Environment(isSSH: false, hasDisplay: false, hostName: "h", isDemo: false))
        #expect(state.browser?.repositories.filterHistory == ["gate", "api"])
    }
}
