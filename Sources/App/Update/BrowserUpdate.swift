import BitbucketKit
import Foundation
import TerminalUI

/// The browser's part of `update`.
enum BrowserUpdate {
    /// A browser for an account, showing what the cache holds (marked cached, with its age).
    static func browser(for record: AccountRecord) -> BrowserState {
        var browser = BrowserState(account: record.summary)
        if let user = record.cached.user { browser.user = .loaded(user) }
        if let emails = record.cached.emails { browser.emails = .loaded(emails) }
        if let workspaces = record.cached.workspaces { browser.workspaces = .loaded(workspaces) }
        if let details = record.cached.workspaceDetails { browser.workspaceDetails = .loaded(details) }
        if let keys = record.cached.sshKeys { browser.sshKeys = .loaded(keys) }
        browser.repositories.filterHistory = record.cached.filterHistory
        if let repositories = record.cached.repositories {
            browser.repositories.replaceAll(repositories.value)
            browser.repositories.progress = .done(fetchedAt: repositories.fetchedAt, isCached: true)
            browser.repositories.cachedAt = repositories.fetchedAt
        }
        return browser
    }

    /// Marks every pane as loading and returns the fetches.
    static func startFetchAll(_ browser: inout BrowserState) -> [Effect] {
        browser.user = browser.user.reloading
        browser.emails = browser.emails.reloading
        browser.workspaces = browser.workspaces.reloading
        browser.workspaceDetails = browser.workspaceDetails.reloading
        browser.sshKeys = browser.sshKeys.reloading
        startRepositories(&browser)
        return [.fetchUser, .fetchEmails, .fetchWorkspaces, .fetchSSHKeys]
    }

    static func startRepositories(_ browser: inout BrowserState) {
        browser.repositories.progress = .loading(loaded: 0, total: nil)
        browser.repositories.replacesOnNextBatch = true
        browser.repositories.failures = [:]
    }

    static func handle(_ action: Action, _ state: inout AppState) -> [Effect] {
        switch action {
        case .accountsListed(let accounts, let activeID):
            state.overlay = .accounts(AccountsOverlay(accounts: accounts, activeID: activeID))
            return []
        case .accountChanged(let next):
            guard let record = next else {
                state.suspendedBrowser = nil
                state.page = .login(LoginState())
                Update.say(
                    "Logged out. Log in to continue, or press \(state.keymap.key(for: .quit, in: .login)) to quit.",
                    &state)
                return [.prepareLogin]
            }
            var browser = browser(for: record)
            let effects = startFetchAll(&browser)
            state.page = .browser(browser)
            Update.say("Now showing \(Sanitizer.sanitize(browser.account.displayName)).", &state, kind: .success)
            return effects
        default:
            break
        }
        guard var browser = state.browser else { return [] }
        let layout = Layout(size: state.size)
        var effects: [Effect] = []
        let failure: AppError?
        switch action {
        case .repositoriesBatch, .repositoriesFinished:
            failure = repositoriesProgress(action, &browser, layout: layout)
        case .workspacesLoaded(let result, let at):
            (effects, failure) = workspacesLoaded(result, at: at, &browser)
        default:
            failure = paneLoaded(action, &browser, layout: layout)
        }
        state.page = .browser(browser)
        if let failure {
            if failure.needsLogin, state.overlay == nil {
                state.overlay = .relogin(reason: failure.description)
            } else if state.isRetryNotice {
                // "retrying in 1 s…" is over: the status line says what the pane says.
                Update.say(failure.screenText(state.keymap), &state, kind: .error)
            }
        }
        return effects
    }

    /// A pane's data arrived (or failed): returns the failure, if any.
    private static func paneLoaded(_ action: Action, _ browser: inout BrowserState, layout: Layout) -> AppError? {
        switch action {
        case .userLoaded(let result, let at):
            switch result {
            case .success(let user): browser.user = .loaded(Snapshot(user, fetchedAt: at))
            case .failure(let error):
                browser.user = browser.user.failing(error)
                return error
            }
        case .emailsLoaded(let result, let at):
            switch result {
            case .success(let emails):
                browser.emails = .loaded(Snapshot(emails, fetchedAt: at))
                browser.emailList.clamp(count: emails.count, visible: layout.emailRows)
            case .failure(let error):
                browser.emails = browser.emails.failing(error)
                return error
            }
        case .workspaceDetailsLoaded(let result, let at):
            switch result {
            case .success(let details):
                browser.workspaceDetails = .loaded(Snapshot(details, fetchedAt: at))
                browser.workspaceList.clamp(count: details.count, visible: layout.emailRows)
            case .failure(let error):
                browser.workspaceDetails = browser.workspaceDetails.failing(error)
                return error
            }
        case .sshKeysLoaded(let result, let at):
            switch result {
            case .success(let report):
                browser.sshKeys = .loaded(Snapshot(report, fetchedAt: at))
                browser.keyList.clamp(count: report.rows.count, visible: layout.keyRows)
            case .failure(let error):
                browser.sshKeys = browser.sshKeys.failing(error)
                return error
            }
        case .tokenExpiryChanged(let date):
            browser.account.tokenExpiresAt = date
        case .requestUsage(let usage):
            browser.requestUsage = usage
        default:
            break
        }
        return nil
    }

    /// The workspaces arrived: their repositories and details are fetched next.
    private static func workspacesLoaded(
        _ result: Result<[Workspace], AppError>, at: Date, _ browser: inout BrowserState
    ) -> ([Effect], AppError?) {
        switch result {
        case .success(let workspaces):
            browser.workspaces = .loaded(Snapshot(workspaces, fetchedAt: at))
            if !browser.repositories.isLoading { startRepositories(&browser) }
            browser.workspaceDetails = browser.workspaceDetails.reloading
            return ([.fetchRepositories(workspaces), .fetchWorkspaceDetails(workspaces)], nil)
        case .failure(let error):
            browser.workspaces = browser.workspaces.failing(error)
            browser.workspaceDetails = browser.workspaceDetails.failing(error)
            browser.repositories.progress = .failed(error)
            browser.repositories.replacesOnNextBatch = false
            return ([], error)
        }
    }

    /// A listing's batch, or its end: returns the failure, if any.
    private static func repositoriesProgress(
        _ action: Action, _ browser: inout BrowserState, layout: Layout
    )
        -> AppError?
    {
        switch action {
        case .repositoriesBatch(let batch):
            if browser.repositories.replacesOnNextBatch || batch.isSnapshot {
                browser.repositories.replacesOnNextBatch = false
                browser.repositories.cachedAt = nil
                browser.repositories.replaceAll(batch.repositories)
            } else {
                browser.repositories.append(batch.repositories)
            }
            browser.repositories.mismatches = batch.mismatches
            browser.repositories.progress = .loading(loaded: batch.loaded, total: batch.expectedTotal)
            browser.repositories.failures = batch.failures.mapValues(AppError.api)
            browser.repositories.list.clamp(
                count: browser.repositories.visible.count, visible: layout.repositoryRows)
        case .repositoriesFinished(let error?, _):
            browser.repositories.progress = .failed(error)
            browser.repositories.replacesOnNextBatch = false
            return error
        case .repositoriesFinished(nil, let at):
            if browser.repositories.replacesOnNextBatch {
                browser.repositories.replaceAll([])
                browser.repositories.replacesOnNextBatch = false
                browser.repositories.cachedAt = nil
            }
            browser.repositories.progress = .done(fetchedAt: at, isCached: false)
        default:
            break
        }
        return nil
    }

    /// The text `e` shows whole: the current pane's error, else the last warning or error.
    static func errorText(_ browser: BrowserState, _ state: AppState) -> String? {
        var parts: [String] = []
        switch browser.pane {
        case .profile: parts += [browser.user.error?.screenText(state.keymap)].compactMap { $0 }
        case .emails: parts += [browser.emails.error?.screenText(state.keymap)].compactMap { $0 }
        case .workspaces: parts += [browser.workspaceDetails.error?.screenText(state.keymap)].compactMap { $0 }
        case .sshKeys: parts += [browser.sshKeys.error?.screenText(state.keymap)].compactMap { $0 }
        case .repositories:
            if case .failed(let error) = browser.repositories.progress { parts.append(error.screenText(state.keymap)) }
            for (workspace, error) in browser.repositories.failures.sorted(by: { $0.key < $1.key }) {
                parts.append("\(workspace): \(error.screenText(state.keymap))")
            }
        }
        if parts.isEmpty, let message = state.message, message.kind == .error || message.kind == .warning {
            parts.append(message.text)
        }
        return parts.isEmpty ? nil : Sanitizer.sanitize(parts.joined(separator: "\n\n"), newlines: .keep)
    }

    static func paste(_ text: String, _ state: inout AppState) -> [Effect] {
        guard var browser = state.browser, browser.repositories.isEditingFilter else { return [] }
        browser.repositories.filterField.paste(text)
        browser.repositories.type(browser.repositories.filterField.text)
        state.page = .browser(browser)
        return []
    }

    static func mouse(_ mouse: MouseEvent, _ state: inout AppState) -> [Effect] {
        guard state.isMouseEnabled, state.overlay == nil, var browser = state.browser else { return [] }
        let layout = Layout(size: state.size)
        switch mouse.kind {
        case .scrollUp: move(&browser, by: -3, layout: layout)
        case .scrollDown: move(&browser, by: 3, layout: layout)
        case .press(button: 0):
            if browser.pane == .repositories, browser.repositories.detail == nil {
                // Rows start below the info line and the table header.
                let row = mouse.position.y - layout.mainInner.y - 2
                if row >= 0, row < layout.repositoryRows, mouse.position.x >= layout.mainInner.x {
                    let index = browser.repositories.list.offset + row
                    if index < browser.repositories.visible.count { browser.repositories.list.selected = index }
                }
            }
        default: break
        }
        state.page = .browser(browser)
        return []
    }

    /// A key in the browser: the filter field's when it is being typed, else the pane's.
    static func key(_ key: Key, _ state: inout AppState) -> [Effect] {
        guard var browser = state.browser else { return [] }
        if browser.repositories.isEditingFilter {
            let effects = filterKey(key, &browser, layout: Layout(size: state.size), keymap: state.keymap)
            state.page = .browser(browser)
            return effects
        }
        let context: KeyContext =
            browser.pane == .repositories && browser.repositories.detail != nil ? .detail : .browser
        guard let command = state.keymap.command(for: key, in: context, pane: browser.pane) else { return [] }
        if let effects = Update.shared(command, &state) { return effects }
        let effects = paneCommand(command, &browser, &state)
        state.page = .browser(browser)
        return effects
    }

    /// Typing a repository filter: every keystroke filters; Enter keeps it, Esc clears it, the
    /// arrows still move the list.
    private static func filterKey(
        _ key: Key, _ browser: inout BrowserState, layout: Layout, keymap: Keymap
    ) -> [Effect] {
        switch keymap.command(for: key, in: .filter) {
        case .acceptFilter?:
            browser.repositories.isEditingFilter = false
            return browser.repositories.keepFilter().map { [.saveFilterHistory($0)] } ?? []
        case .clearFilter?:
            browser.repositories.isEditingFilter = false
            browser.repositories.filterField.set("")
            browser.repositories.type("")
        case .olderFilter?:
            browser.repositories.recallFilter(older: true)
        case .newerFilter?:
            browser.repositories.recallFilter(older: false)
        case let command? where command != .editText:
            moveCommand(command, &browser, layout: layout)
        default:
            browser.repositories.filterField.handle(key)
            browser.repositories.type(browser.repositories.filterField.text)
        }
        return []
    }

    /// A command in the panes (or the details view), by what it acts on.
    private static func paneCommand(
        _ command: Command, _ browser: inout BrowserState, _ state: inout AppState
    )
        -> [Effect]
    {
        switch command {
        case .up, .down, .top, .bottom, .pageUp, .pageDown, .halfPageUp, .halfPageDown:
            moveCommand(command, &browser, layout: Layout(size: state.size))
        case .nextPane:
            browser.pane = Pane(rawValue: (browser.pane.rawValue + 1) % Pane.allCases.count)!
        case .previousPane:
            browser.pane = Pane(rawValue: (browser.pane.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
        case .pane(let pane):
            browser.pane = pane
        case .back where browser.repositories.detail == nil && browser.repositories.filter.isEmpty:
            // Esc after the details and the filter: the marks, then the clones.
            return CloneUpdate.escape(&browser, &state) ?? []
        case .open, .back, .filter, .cycleSort, .reverseSort, .cycleWorkspace:
            listCommand(command, &browser, &state)
        case .refreshPane:
            return refresh(browser.pane, &browser)
        case .refreshAll:
            return [.cancelRepositories] + startFetchAll(&browser)
        case .accounts:
            return [.listAccounts]
        case .logout:
            state.overlay = .confirmLogout(accountID: browser.account.id, name: browser.account.username)
        case .toggleMouse:
            state.isMouseEnabled.toggle()
            Update.say(
                state.isMouseEnabled
                    ? "Mouse on: wheel scrolls, click selects (\(state.keymap.key(for: .toggleMouse, in: .browser)) turns it "
                        + "off for native selection)."
                    : "Mouse off: your terminal's own selection works again.", &state)
            return [.setMouse(state.isMouseEnabled)]
        case .copySSH, .copyHTTPS, .copyWebURL, .openWeb:
            return repositoryAction(command, browser, &state)
        case .copyLocalKey, .showLocalKey:
            return localKeyAction(command, browser, &state)
        case .showError, .showCopied:
            return showCommand(command, browser, &state)
        case .toggleMark, .clone, .cloneLog:
            return CloneUpdate.command(command, &browser, &state)
        case .custom(let index):
            return customCommand(index, browser, &state)
        default:
            break
        }
        return []
    }

    /// Opening, leaving, filtering, sorting and narrowing the repository list.
    private static func listCommand(_ command: Command, _ browser: inout BrowserState, _ state: inout AppState) {
        let cycle = state.keymap.key(for: .cycleWorkspace, in: .browser)
        switch command {
        case .open:
            if browser.pane == .repositories, let selected = browser.repositories.selected {
                browser.repositories.detail = selected.uuid
                browser.repositories.detailScroll = 0
            } else if browser.pane == .workspaces, let details = browser.workspaceDetails.value,
                let row = browser.workspaceList.selected, row < details.count
            {
                // The workspace's repositories, in the Repositories pane.
                let slug = details[row].workspace.slug
                browser.pane = .repositories
                browser.repositories.detail = nil
                browser.repositories.showWorkspace(slug)
                Update.say(
                    "Showing workspace \(Sanitizer.sanitize(slug)) only (\(cycle): next, again for all).", &state)
            }
        case .back:
            if browser.repositories.detail != nil, browser.pane == .repositories {
                browser.repositories.detail = nil
            } else if !browser.repositories.filter.isEmpty {
                browser.repositories.filterField.set("")
                browser.repositories.setFilter("")
            }
        case .filter:
            browser.pane = .repositories
            browser.repositories.detail = nil
            browser.repositories.isEditingFilter = true
            browser.repositories.filterField.set(browser.repositories.filter)
        case .cycleSort:
            browser.repositories.cycleSort()
            Update.say("Sorted by \(browser.repositories.sort.title).", &state)
        case .reverseSort:
            browser.repositories.toggleReverse()
        case .cycleWorkspace:
            browser.repositories.cycleWorkspace()
            Update.say(
                browser.repositories.workspaceFilter.map {
                    "Showing workspace \(Sanitizer.sanitize($0)) only (\(cycle): next)."
                } ?? "Showing every workspace.", &state)
        default:
            break
        }
    }

    /// `r`: the pane's data fetched again (what is shown stays until it arrives).
    private static func refresh(_ pane: Pane, _ browser: inout BrowserState) -> [Effect] {
        switch pane {
        case .profile:
            browser.user = browser.user.reloading
            return [.fetchUser]
        case .emails:
            browser.emails = browser.emails.reloading
            return [.fetchEmails]
        case .workspaces:
            browser.workspaceDetails = browser.workspaceDetails.reloading
            if let workspaces = browser.workspaces.value { return [.fetchWorkspaceDetails(workspaces)] }
            fallthrough
        case .repositories:
            browser.workspaces = browser.workspaces.reloading
            startRepositories(&browser)
            return [.cancelRepositories, .fetchWorkspaces]
        case .sshKeys:
            browser.sshKeys = browser.sshKeys.reloading
            return [.fetchSSHKeys]
        }
    }

    /// The SSH keys pane: this machine's public key, copied or shown, to add in Bitbucket.
    private static func localKeyAction(
        _ command: Command, _ browser: BrowserState, _ state: inout AppState
    )
        -> [Effect]
    {
        guard let key = browser.sshKeys.value?.keyToAdd else {
            Update.say(
                "This machine has no SSH public key (~/.ssh/*.pub or ssh-agent). Create one with ssh-keygen -t ed25519.",
                &state, kind: .warning)
            return []
        }
        // A key read from this machine: its comment is still made inert before it is shown.
        let line = Sanitizer.sanitize(key.key.line)
        if command == .showLocalKey { return [.showPlainly(line)] }
        state.lastCopied = line
        return [.copy(line, what: "this machine's public key (\(key.key.fingerprint))")]
    }

    /// `e` and `p`: an error or the last copied text, shown whole outside the full screen.
    private static func showCommand(
        _ command: Command, _ browser: BrowserState, _ state: inout AppState
    )
        -> [Effect]
    {
        if command == .showError {
            if let text = errorText(browser, state) { return [.showText(text)] }
            Update.say("No error to show here.", &state)
            return []
        }
        if let copied = state.lastCopied { return [.showPlainly(copied)] }
        if let url = (browser.repositories.detailRepository ?? browser.repositories.selected)?.cloneSSH {
            return [.showPlainly(Sanitizer.sanitize(url))]
        }
        return []
    }

    /// A `[[commands]]` entry: on the repository open or selected in the list, when its
    /// arguments name one.
    private static func customCommand(_ index: Int, _ browser: BrowserState, _ state: inout AppState) -> [Effect] {
        guard state.keymap.commands.indices.contains(index) else { return [] }
        let command = state.keymap.commands[index]
        let repository =
            browser.pane == .repositories
            ? browser.repositories.detailRepository ?? browser.repositories.selected : nil
        if repository == nil, !command.usedPlaceholders.isEmpty {
            Update.say(
                "\(Sanitizer.sanitize(command.title)) needs a repository: select one first (pane "
                    + "\(state.keymap.key(for: .pane(.repositories), in: .browser))).", &state, kind: .warning)
            return []
        }
        if command.background {
            Update.say("Running \(Sanitizer.sanitize(command.title))…", &state)
        }
        return [.runCommand(command, repository: repository)]
    }

    private static func repositoryAction(
        _ command: Command, _ browser: BrowserState, _ state: inout AppState
    ) -> [Effect] {
        guard browser.pane == .repositories,
            let repository = browser.repositories.detailRepository ?? browser.repositories.selected
        else {
            Update.say(
                "Select a repository first (pane \(state.keymap.key(for: .pane(.repositories), in: .browser))).",
                &state,
                kind: .warning)
            return []
        }
        let name = Sanitizer.sanitize(repository.fullName)
        let (url, what): (String?, String)
        switch command {
        case .copySSH: (url, what) = (repository.cloneSSH, "the SSH clone URL of \(name)")
        case .copyHTTPS: (url, what) = (repository.cloneHTTPS, "the HTTPS clone URL of \(name)")
        default: (url, what) = (repository.webURL, "the web URL of \(name)")
        }
        guard let url, !url.isEmpty else {
            Update.say("Bitbucket gave no such URL for \(name).", &state, kind: .warning)
            return []
        }
        // A URL from the network goes to the clipboard or the screen only once made inert.
        let clean = Sanitizer.sanitize(url)
        if command == .openWeb {
            if state.environment.browserRefusal != nil { return [.showPlainly(clean)] }
            return [.openURL(clean)]
        }
        state.lastCopied = clean
        return [.copy(clean, what: what)]
    }

    private static func move(_ browser: inout BrowserState, by delta: Int, layout: Layout) {
        moveCommand(delta < 0 ? .up : .down, &browser, layout: layout, times: abs(delta))
    }

    private static func moveCommand(_ command: Command, _ browser: inout BrowserState, layout: Layout, times: Int = 1) {
        switch browser.pane {
        case .repositories:
            if browser.repositories.detail != nil {
                browser.repositories.detailScroll = scrolled(
                    browser.repositories.detailScroll, command, page: layout.mainInner.height, times: times)
                return
            }
            apply(
                command, to: &browser.repositories.list, count: browser.repositories.visible.count,
                visible: layout.repositoryRows, times: times)
        case .emails:
            apply(
                command, to: &browser.emailList, count: browser.emails.value?.count ?? 0, visible: layout.emailRows,
                times: times)
        case .workspaces:
            apply(
                command, to: &browser.workspaceList, count: browser.workspaceDetails.value?.count ?? 0,
                visible: layout.emailRows, times: times)
        case .sshKeys:
            apply(
                command, to: &browser.keyList, count: browser.sshKeys.value?.rows.count ?? 0, visible: layout.keyRows,
                times: times)
        case .profile:
            browser.profileScroll = scrolled(
                browser.profileScroll, command, page: layout.mainInner.height, times: times)
        }
    }

    private static func apply(_ command: Command, to list: inout ListState, count: Int, visible: Int, times: Int) {
        switch command {
        case .up: list.move(by: -times, count: count, visible: visible)
        case .down: list.move(by: times, count: count, visible: visible)
        case .top: list.first(count: count, visible: visible)
        case .bottom: list.last(count: count, visible: visible)
        case .pageDown: list.page(1, count: count, visible: visible)
        case .pageUp: list.page(-1, count: count, visible: visible)
        case .halfPageDown: list.move(by: max(1, visible / 2), count: count, visible: visible)
        case .halfPageUp: list.move(by: -max(1, visible / 2), count: count, visible: visible)
        default: break
        }
    }

    private static func scrolled(_ value: Int, _ command: Command, page: Int, times: Int) -> Int {
        switch command {
        case .up: return max(0, value - times)
        case .down: return value + times
        case .top: return 0
        case .bottom: return Int.max / 2
        case .pageDown: return value + max(1, page - 1)
        case .pageUp: return max(0, value - max(1, page - 1))
        case .halfPageDown: return value + max(1, page / 2)
        case .halfPageUp: return max(0, value - max(1, page / 2))
        default: return value
        }
    }
}
