import BitbucketKit
import Foundation
import TerminalUI

/// Cloning from the list: marks, the `c` that starts clones, their progress, the clone log.
enum CloneUpdate {
    /// Space, `c` and `C` in the browser.
    static func command(_ command: Command, _ browser: inout BrowserState, _ state: inout AppState) -> [Effect] {
        switch command {
        case .toggleMark:
            guard browser.pane == .repositories, browser.repositories.detail == nil,
                let selected = browser.repositories.selected
            else { return [] }
            if browser.repositories.marked.remove(selected.uuid) == nil {
                browser.repositories.marked.insert(selected.uuid)
            }
            let layout = Layout(size: state.size)
            browser.repositories.list.move(
                by: 1, count: browser.repositories.visible.count, visible: layout.repositoryRows)
            return []
        case .clone:
            return clone(&browser, &state)
        case .cloneLog:
            state.overlay = .cloneLog
            return []
        default:
            return []
        }
    }

    /// `c`: every marked repository (in list order), or the selected one.
    private static func clone(_ browser: inout BrowserState, _ state: inout AppState) -> [Effect] {
        let repositories = browser.repositories
        var chosen: [Repository]
        if repositories.marked.isEmpty {
            chosen = [repositories.detailRepository ?? repositories.selected].compactMap { $0 }
        } else {
            chosen = repositories.all.filter { repositories.marked.contains($0.uuid) }
        }
        let already = chosen.filter { state.clones.isActive($0.fullName) }
        chosen.removeAll { state.clones.isActive($0.fullName) }
        browser.repositories.marked = []
        guard !chosen.isEmpty else {
            Update.say(
                already.isEmpty
                    ? "No repository selected to clone."
                    : "\(Sanitizer.sanitize(already[0].fullName)) is already being cloned (\(state.keymap.key(for: .cloneLog, in: .browser)): the clone log).",
                &state, kind: .warning)
            return []
        }
        state.clones.enqueue(
            chosen.map { CloneBoard.Entry(fullName: $0.fullName, target: "", cloneProtocol: nil, status: .queued) })
        // The status line shows the clones' progress from now on, not an older message.
        state.message = nil
        state.messageExpiresAt = nil
        let preferSSH = (browser.sshKeys.value?.usableCount ?? 0) > 0
        return [.clone(chosen, preferSSH: preferSSH)]
    }

    /// The runner's reports.
    static func handle(_ action: Action, _ state: inout AppState) -> [Effect] {
        switch action {
        case .clonesPlanned(let jobs):
            for job in jobs {
                state.clones.update(job.fullName) {
                    $0.target = job.target
                    $0.cloneProtocol = job.cloneProtocol
                }
            }
        // The status line now counts them (AppView), with where each goes in the log.
        case .cloneEvent(let event):
            switch event {
            case .started(let job):
                state.clones.update(job.fullName) {
                    $0.status = .running(nil)
                    $0.target = job.target
                    $0.cloneProtocol = job.cloneProtocol
                }
            case .progress(let name, let progress):
                state.clones.update(name) { $0.status = .running(progress) }
            case .finished(let name, let outcome):
                state.clones.update(name) { $0.status = .finished(outcome) }
                if !state.clones.isRunning { finished(&state) }
            }
        default:
            break
        }
        return []
    }

    /// The batch is over: what happened, in one line.
    private static func finished(_ state: inout AppState) {
        let batch = state.clones.entries[min(state.clones.batchStart, state.clones.entries.count)...]
        var cloned: [CloneBoard.Entry] = []
        var failed: [(CloneBoard.Entry, String)] = []
        var cancelled = 0
        for entry in batch {
            switch entry.status {
            case .finished(.cloned): cloned.append(entry)
            case .finished(.failed(let message)): failed.append((entry, message))
            case .finished(.cancelled): cancelled += 1
            default: break
            }
        }
        let log = state.keymap.key(for: .cloneLog, in: .browser)
        if failed.isEmpty, cancelled == 0 {
            let place =
                cloned.count == 1
                ? cloned[0].target : (cloned.first.map { ($0.target as NSString).deletingLastPathComponent } ?? "")
            Update.say(
                "Cloned \(cloned.count == 1 ? Sanitizer.sanitize(cloned[0].fullName) : "\(cloned.count) repositories") into \(Sanitizer.sanitize(place)).",
                &state, kind: .success)
            return
        }
        var parts = ["Cloned \(cloned.count) of \(batch.count)"]
        if !failed.isEmpty { parts.append("\(failed.count) failed") }
        if cancelled > 0 { parts.append("\(cancelled) stopped, nothing left behind") }
        let first = failed.first.map { ": " + Sanitizer.sanitize($0.1) } ?? "."
        Update.say(
            parts.joined(separator: "; ") + first + " (\(log): the log)", &state,
            kind: failed.isEmpty ? .warning : .error)
    }

    /// Esc in the list, after the details, the filter and the marks: stop the clones.
    static func escape(_ browser: inout BrowserState, _ state: inout AppState) -> [Effect]? {
        if !browser.repositories.marked.isEmpty {
            browser.repositories.marked = []
            Update.say("Marks cleared.", &state)
            return []
        }
        guard state.clones.isRunning else { return nil }
        Update.say(
            "Stopping \(state.clones.pending) clone\(state.clones.pending == 1 ? "" : "s")…", &state, kind: .warning)
        return [.cancelClones]
    }

    /// Keys in the clone log.
    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        switch state.keymap.command(for: key, in: .cloneLog) {
        case .back?:
            state.overlay = nil
        case .cancelClones?:
            guard state.clones.isRunning else {
                Update.say("No clone is running.", &state)
                return []
            }
            Update.say(
                "Stopping \(state.clones.pending) clone\(state.clones.pending == 1 ? "" : "s")…", &state, kind: .warning
            )
            return [.cancelClones]
        case .down?:
            state.clones.scroll = min(state.clones.scroll + 1, max(0, state.clones.entries.count - 1))
        case .up?:
            state.clones.scroll = max(0, state.clones.scroll - 1)
        case .quit?:
            state.shouldQuit = true
            return [.quit]
        default:
            break
        }
        return []
    }
}
