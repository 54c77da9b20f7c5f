import BitbucketKit
import Foundation
import TerminalUI
import Testing

@testable import App

/// Issue 20: cloning from the list, as `update` sees it: marks, what `c` sends, the clones'
/// reports, and Esc's order of things.
@Suite struct CloneUpdateTests {
    func press(_ state: inout AppState, _ keys: Key...) -> [Effect] {
        keys.flatMap { Update.update(&state, .event(.key($0))) }
    }

    var browsing: AppState { Fixtures.state(.browser(Fixtures.browser())) }

    func job(_ fullName: String, target: String) -> CloneJob {
        CloneJob(fullName: fullName, url: "u", cloneProtocol: .https, target: target, arguments: [])
    }

    @Test func spaceMarksAndMovesDownAndCClonesTheMarkedInListOrder() {
        var state = browsing
        let all = state.browser!.repositories.all
        let visible = state.browser!.repositories.visible
        #expect(
            press(&state, .character(" "), .character(" "), .character("k"), .character(" "), .character(" ")) == [])
        // The second row was marked, then unmarked; the first and the third are marked.
        #expect(
            state.browser?.repositories.marked
                == [all[visible[0]].uuid, all[visible[2]].uuid].reduce(into: []) { $0.insert($1) })
        let effects = press(&state, .character("c"))
        let chosen = all.filter { [all[visible[0]].uuid, all[visible[2]].uuid].contains($0.uuid) }
        #expect(effects == [.clone(chosen, preferSSH: false)])
        #expect(state.browser?.repositories.marked.isEmpty == true)
        #expect(state.clones.entries.map(\.fullName) == chosen.map(\.fullName))
        #expect(state.clones.summary == "Cloning: 0 of 2 done, 0 running")
        // A second c on one of them does not clone it twice.
        _ = press(&state, .character("g"))
        let selected = state.browser!.repositories.selected!
        if chosen.contains(selected) {
            #expect(press(&state, .character("c")) == [])
            #expect(state.message?.text.contains("is already being cloned") == true)
        }
    }

    @Test func withoutMarksCClonesTheSelectedOneOverSSHWhenAKeyIsUsable() {
        var state = browsing
        var browser = state.browser!
        let key = SSHKey(
            uuid: "{k}", key: "ssh-ed25519 AAAA", label: "laptop", comment: "", createdOn: nil, lastUsed: nil,
            expiresOn: nil)
        var report = SSHKeyReport(accountKeys: [key], local: LocalKeys.Found(), now: Fixtures.now)
        report.rows[0].localSource = "~/.ssh/id_ed25519.pub"
        browser.sshKeys = .loaded(Snapshot(report, fetchedAt: Fixtures.now))
        state.page = .browser(browser)
        #expect(press(&state, .character("c")) == [.clone([browser.repositories.selected!], preferSSH: true)])
    }

    @Test func theReportsFillTheLogAndTheLastOneSaysWhatHappened() {
        var state = browsing
        _ = press(&state, .character(" "), .character(" "), .character("c"))
        let names = state.clones.entries.map(\.fullName)
        _ = Update.update(&state, .clonesPlanned([job(names[0], target: "/src/a"), job(names[1], target: "/src/b")]))
        _ = Update.update(&state, .cloneEvent(.started(job(names[0], target: "/src/a"))))
        _ = Update.update(
            &state, .cloneEvent(.progress(fullName: names[0], CloneProgress(phase: "Receiving objects", percent: 45))))
        #expect(state.clones.summary == "Cloning: 0 of 2 done, 1 running · \(names[0]) receiving objects 45%")
        _ = Update.update(&state, .cloneEvent(.finished(fullName: names[0], .cloned)))
        #expect(state.message == nil)
        _ = Update.update(
            &state, .cloneEvent(.finished(fullName: names[1], .failed("\(names[1]): no such repository."))))
        #expect(!state.clones.isRunning)
        #expect(state.clones.summary == nil)
        #expect(
            state.message
                == StatusMessage(
                    "Cloned 1 of 2; 1 failed: \(Sanitizer.sanitize(names[1])): no such repository. (C: the log)",
                    kind: .error))
        // All cloned: where they went.
        var other = browsing
        _ = press(&other, .character("c"))
        let name = other.clones.entries[0].fullName
        _ = Update.update(&other, .clonesPlanned([job(name, target: "/src/x")]))
        _ = Update.update(&other, .cloneEvent(.finished(fullName: name, .cloned)))
        #expect(other.message == StatusMessage("Cloned \(Sanitizer.sanitize(name)) into /src/x.", kind: .success))
    }

    @Test func escClosesTheDetailsThenClearsTheFilterThenTheMarksThenStopsTheClones() {
        var state = browsing
        _ = press(&state, .character(" "), .character("c"), .character(" "))
        _ = press(&state, .character("/"), .character("b"), .enter, .enter)
        #expect(state.browser?.repositories.detail != nil)
        #expect(press(&state, .escape) == [])
        #expect(state.browser?.repositories.detail == nil)
        #expect(press(&state, .escape) == [])
        #expect(state.browser?.repositories.filter == "")
        #expect(state.browser?.repositories.marked.isEmpty == false)
        #expect(press(&state, .escape) == [])
        #expect(state.browser?.repositories.marked.isEmpty == true)
        #expect(state.message?.text == "Marks cleared.")
        #expect(press(&state, .escape) == [.cancelClones])
        #expect(state.message?.text == "Stopping 1 clone…")
        // Nothing running: Esc does nothing more.
        _ = Update.update(
            &state, .cloneEvent(.finished(fullName: state.clones.entries[0].fullName, .cancelled)))
        #expect(press(&state, .escape) == [])
    }

    @Test func theLogOpensWithCAndStopsWithX() {
        var state = browsing
        _ = press(&state, .character("C"))
        #expect(state.overlay == .cloneLog)
        #expect(press(&state, .character("x")) == [])
        #expect(state.message?.text == "No clone is running.")
        _ = press(&state, .escape)
        #expect(state.overlay == nil)
        _ = press(&state, .character("c"), .character("C"))
        #expect(press(&state, .character("x")) == [.cancelClones])
        #expect(press(&state, .character("Q")) == [.quit])
    }
}
