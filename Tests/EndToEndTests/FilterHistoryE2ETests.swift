import BitbucketKit
import Foundation
import Testing

// Nested in TUITests, whose .serialized keeps end-to-end suites from starving the timing tests.
extension TUITests {
    /// Issue 22 (its first part): a filter kept with Enter comes back with ↑ after a restart.
    @Suite struct FilterHistoryE2ETests {
        @Test func aKeptFilterSurvivesARestart() async throws {
            let account = try await E2EAccount.loggedIn()
            defer { account.close() }
            /// The status line's "selected/visible", as the list shows it.
            func counter(_ tmux: Tmux) -> String? {
                tmux.lines.last { !$0.isEmpty }?.split(separator: " ").last.map(String.init)
            }
            var filtered: String?
            do {
                let tmux = try account.tmux()
                defer { tmux.kill() }
                try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
                tmux.type("/gateway")
                // Enter only once the text is in the field (a burst with a line break in it
                // would be a paste).
                try #require(tmux.waitFor("/gateway"), "\(tmux.capture())")
                tmux.keys("Enter")
                try #require(
                    tmux.waitUntil { !tmux.contains("Enter keep filter") && tmux.contains("filter: gateway") },
                    "\(tmux.capture())")
                filtered = counter(tmux)
                #expect(filtered != nil && filtered != "1/60", "\(tmux.capture())")
                tmux.keys("q")
                try #require(tmux.waitFor("EXITED:0"), "\(tmux.capture())")
            }
            let tmux = try account.tmux()
            defer { tmux.kill() }
            try #require(tmux.waitFor("Repositories · 60"), "\(tmux.capture())")
            tmux.type("/")
            try #require(tmux.waitFor("type to filter"), "\(tmux.capture())")
            tmux.keys("Up")
            try #require(tmux.waitFor("/gateway"), "\(tmux.capture())")
            // The list is filtered by it, as if typed.
            try #require(
                tmux.waitUntil { counter(tmux) == filtered }, "\(String(describing: filtered)) \(tmux.capture())")
        }
    }
}
