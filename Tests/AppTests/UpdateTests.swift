import Foundation
import TerminalUI
import Testing

@testable import App
@testable import BitbucketKit

@Suite struct LoginUpdateTests {
    @Test func pastingARedirectAndPressingEnterExchanges() {
        var state = Fixtures.state(.login(Fixtures.login()))
        let url = "http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=st4te"
        #expect(Update.update(&state, .event(.paste(url))) == [])
        #expect(state.login?.field.text == url)
        #expect(state.login?.isFieldFocused == true)
        #expect(
            Update.update(&state, .event(.key(.enter))) == [
                .exchange(code: "AbCdEf0123456789xy", request: Fixtures.request)
            ])
        #expect(state.login?.phase == .exchanging)
    }

    @Test func aWrongPasteKeepsTheTextAndSaysWhy() {
        var state = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&state, .event(.paste("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=forged")))
        #expect(Update.update(&state, .event(.key(.enter))) == [])
        #expect(state.login?.problem == PastedAuthorization.Problem.stateMismatch.description)
        #expect(state.login?.field.text.hasSuffix("state=forged") == true)
        #expect(state.login?.phase == .waiting)
    }

    @Test(arguments: [
        (Key.character("y"), [Effect.copy(Fixtures.request.url.absoluteString, what: "the login URL")]),
        (.character("p"), [.showPlainly(Fixtures.request.url.absoluteString)]),
        (.character("w"), [.writeURLFile(Fixtures.request.url.absoluteString)]),
        (.character("q"), [.quit]),
        (.ctrl("c"), [.quit]),
        (.ctrl("z"), [.suspend]),
        (.ctrl("l"), [.redraw]),
    ])
    func commandKeysWhenTheFieldIsNotFocused(key: Key, effects: [Effect]) {
        var state = Fixtures.state(.login(Fixtures.login()))
        #expect(Update.update(&state, .event(.key(key))) == effects)
    }

    @Test func openRefusesOverSSHAndSaysWhy() {
        var state = Fixtures.state(.login(Fixtures.login()))
        state.environment.isSSH = true
        #expect(Update.update(&state, .event(.key(.character("o")))) == [])
        #expect(state.message?.text.hasPrefix("This is an SSH session") == true)
        state.environment = Environment(isSSH: false, hasDisplay: true)
        #expect(Update.update(&state, .event(.key(.character("o")))) == [.openURL(Fixtures.request.url.absoluteString)])
    }

    @Test func typingAnyOtherLetterStartsTheField() {
        var state = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&state, .event(.key(.character("A"))))
        _ = Update.update(&state, .event(.key(.character("y"))))
        #expect(state.login?.field.text == "Ay")
        #expect(state.login?.isFieldFocused == true)
        _ = Update.update(&state, .event(.key(.escape)))
        #expect(state.login?.isFieldFocused == false)
        #expect(state.login?.field.text == "Ay")
    }

    @Test func theListenerRedirectExchangesToo() {
        var state = Fixtures.state(.login(Fixtures.login()))
        #expect(
            Update.update(&state, .redirectReceived("code=Q1w2E3r4T5y6&state=st4te")) == [
                .exchange(code: "Q1w2E3r4T5y6", request: Fixtures.request)
            ])
    }

    @Test func aRejectedCodeKeepsTheRequestSoTheRealRedirectStillFits() {
        // Junk that looked like a code was exchanged and refused: the same URL stays, so the
        // redirect from approving it is still accepted afterwards.
        var login = Fixtures.login(phase: .exchanging, field: "AbCdEf0123456789xy")
        login.requestMadeAt = Fixtures.now.addingTimeInterval(-120)
        var state = Fixtures.state(.login(login))
        let effects = Update.update(&state, .loginFailed(.oauth(.codeRejected("The specified code is not valid."))))
        #expect(effects == [])
        #expect(state.login?.request == Fixtures.request)
        #expect(state.login?.problem?.contains("The URL above is still good") == true)
        #expect(
            Update.update(&state, .redirectReceived("code=Q1w2E3r4T5y6U7i8O9&state=st4te")) == [
                .exchange(code: "Q1w2E3r4T5y6U7i8O9", request: Fixtures.request)
            ])
    }

    @Test func aRejectedCodeAfterTenMinutesMakesAFreshURLAndSaysWhy() {
        var login = Fixtures.login(phase: .exchanging, field: "AbCdEf0123456789xy")
        login.requestMadeAt = Fixtures.now.addingTimeInterval(-601)
        var state = Fixtures.state(.login(login))
        let effects = Update.update(&state, .loginFailed(.oauth(.codeRejected("The specified code is not valid."))))
        #expect(effects == [.prepareLogin])
        #expect(state.login?.field.text == "AbCdEf0123456789xy")
        #expect(state.login?.problem?.contains("over ten minutes old, so a fresh one was made above") == true)
    }

    @Test func badPastesAreExplainedWithoutARequestAndTheLoginWaits() {
        var state = Fixtures.state(.login(Fixtures.login()))
        for (paste, words) in [
            ("not a code!", "has spaces in it"), ("not-a-code!", "does not look like a code"),
            ("AbCdEf01", "looks cut off"),
            ("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=old", "different login attempt"),
            ("http://127.0.0.1:8976/callback?error=access_denied&state=st4te", "Access was denied"),
        ] {
            _ = Update.update(&state, .event(.paste(paste)))
            let effects = Update.update(&state, .event(.key(.enter)))
            #expect(effects == [], "\(paste)")
            #expect(state.login?.problem?.contains(words) == true, "\(paste): \(state.login?.problem ?? "")")
            #expect(state.login?.phase == .waiting)
            _ = Update.update(&state, .event(.key(.ctrl("u"))))
        }
    }

    /// Issue 24: a paste after a failed submit replaces the text (it used to be added to the
    /// old one, so following the screen's advice failed forever); typing still edits; the rest
    /// of a cut-off address is added to it; a change clears the old message.
    @Test func aPasteAfterAFailedSubmitReplacesTheText() {
        var state = Fixtures.state(.login(Fixtures.login()))
        let old = "http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=old"
        let good = "http://127.0.0.1:8976/callback?code=GoodCode0123456789&state=st4te"
        _ = Update.update(&state, .event(.paste(old)))
        #expect(Update.update(&state, .event(.key(.enter))) == [])
        #expect(state.login?.problem?.contains("different login attempt") == true)
        _ = Update.update(&state, .event(.paste(good)))
        #expect(state.login?.field.text == good)
        #expect(state.login?.problem == nil)
        #expect(state.login?.showsStart == true)
        let effects = Update.update(&state, .event(.key(.enter)))
        #expect(effects == [.exchange(code: "GoodCode0123456789", request: Fixtures.login().request!)])
    }

    @Test func aWholeAnswerInTheFieldIsReplacedByTheNextPaste() {
        var state = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&state, .event(.paste("http://127.0.0.1:8976/callback?code=AbCdEf0123456789xy&state=old")))
        _ = Update.update(&state, .event(.paste("GoodCode0123456789")))
        #expect(state.login?.field.text == "GoodCode0123456789")
    }

    @Test func theRestOfACutOffAddressIsAddedNotReplaced() {
        var state = Fixtures.state(.login(Fixtures.login()))
        let whole = "http://127.0.0.1:8976/callback?code=GoodCode0123456789&state=st4te"
        let pieces = [String(whole.prefix(40)), String(whole.dropFirst(40).prefix(20)), String(whole.dropFirst(60))]
        for (index, piece) in pieces.enumerated() {
            for character in piece { _ = Update.update(&state, .event(.key(.character(character)))) }
            let effects = Update.update(&state, .event(.key(.enter)))
            if index < pieces.count - 1 {
                #expect(effects == [], "piece \(index) must send nothing")
                #expect(state.login?.problem?.contains("cut off") == true, "\(index): \(state.login?.problem ?? "")")
            } else {
                #expect(effects == [.exchange(code: "GoodCode0123456789", request: Fixtures.login().request!)])
            }
        }
        // A pasted rest is added too; a pasted whole address replaces.
        state = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&state, .event(.paste(String(whole.prefix(50)))))
        _ = Update.update(&state, .event(.key(.enter)))
        _ = Update.update(&state, .event(.paste(String(whole.dropFirst(50)))))
        #expect(state.login?.field.text == whole)
        _ = Update.update(&state, .event(.paste(String(whole.prefix(50)))))
        _ = Update.update(&state, .event(.key(.enter)))
        _ = Update.update(&state, .event(.paste(whole)))
        #expect(state.login?.field.text == whole)
    }

    @Test func typingAfterAFailureEditsAndClearsTheMessage() {
        var state = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&state, .event(.paste("AbCdEf01")))
        _ = Update.update(&state, .event(.key(.enter)))
        #expect(state.login?.problem != nil)
        _ = Update.update(&state, .event(.key(.character("x"))))
        #expect(state.login?.field.text == "AbCdEf01x")
        #expect(state.login?.problem == nil)
    }

    /// Issue 23: a message names only keys bound where it is shown. When `o` cannot open a
    /// browser, the repository browser's alternatives are its own (`w` there cycles workspaces,
    /// `y` copies the SSH clone URL); the login screen's are y, p and w.
    @Test func theKeysAMessageNamesAreTheKeysOfItsScreen() {
        var browser = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(&browser, .opened(error: "xdg-open failed (exit 3)."))
        let inBrowser = browser.message?.text ?? ""
        #expect(
            inBrowser
                == "xdg-open failed (exit 3). Use \(Keymap.standard.key(for: .copyWebURL, in: .browser)) to copy the URL instead; "
                + "\(Keymap.standard.key(for: .showCopied, in: .browser)) then shows it plainly.")
        #expect(!inBrowser.contains("w (write"))
        var login = Fixtures.state(.login(Fixtures.login()))
        _ = Update.update(&login, .opened(error: "xdg-open failed (exit 3)."))
        #expect(
            login.message?.text
                == "xdg-open failed (exit 3). Use y (copy), p (show plainly) or w (write to a file) instead.")
        // Over SSH, `o` on the login screen says why not, with the same keys.
        var remote = Fixtures.state(.login(Fixtures.login()))
        remote.environment.isSSH = true
        _ = Update.update(&remote, .event(.key(.character("o"))))
        #expect(
            remote.message?.text.hasSuffix("Use y (copy), p (show plainly) or w (write to a file) instead.") == true)
        // Messages that name a browser key take it from the keymap.
        #expect(
            AppError.api(.server(503, "")).screenText(.standard).hasSuffix(
                " Press \(Keymap.standard.key(for: .refreshPane, in: .browser)) to retry."))
    }

    @Test func misconfiguredConsumerSaysWhatToCheck() {
        var state = Fixtures.state(.login(Fixtures.login(phase: .exchanging)))
        #expect(
            Update.update(&state, .loginFailed(.oauth(.clientMisconfigured("Invalid OAuth client credentials")))) == [])
        #expect(state.login?.problem?.contains("BITBUCKET_CLIENT_SECRET") == true)
        #expect(state.login?.phase == .waiting)
    }

    @Test func successOpensTheBrowserAndFetches() {
        var state = Fixtures.state(.login(Fixtures.login(phase: .exchanging)))
        let effects = Update.update(
            &state, .loginSucceeded(AccountRecord(summary: Fixtures.account), user: Fixtures.user, at: Fixtures.now))
        // The profile fetched to learn who logged in is shown; the rest is fetched.
        #expect(effects == [.stopListener, .fetchEmails, .fetchWorkspaces, .fetchSSHKeys])
        #expect(state.browser?.user == .loaded(Snapshot(Fixtures.user, fetchedAt: Fixtures.now)))
        #expect(state.browser?.emails == .loading(stale: nil))
    }

    @Test func reloginReturnsToTheSamePlace() {
        var browser = Fixtures.browser()
        browser.pane = .emails
        browser.emailList.selected = 2
        var state = Fixtures.state(.browser(browser))
        _ = Update.update(&state, .userLoaded(.failure(.api(.unauthorized("Access token expired."))), at: Fixtures.now))
        guard case .relogin = state.overlay else {
            Issue.record("no re-login sheet")
            return
        }
        #expect(Update.update(&state, .event(.key(.enter))) == [.cancelRepositories, .prepareLogin])
        #expect(state.login != nil)
        var renewed = Fixtures.account
        renewed.tokenExpiresAt = Fixtures.now.addingTimeInterval(7200)
        _ = Update.update(
            &state, .loginSucceeded(AccountRecord(summary: renewed), user: Fixtures.user, at: Fixtures.now))
        #expect(state.browser?.pane == .emails)
        #expect(state.browser?.emailList.selected == 2)
        #expect(state.browser?.account.tokenExpiresAt == renewed.tokenExpiresAt)
    }
}

@Suite struct BrowserUpdateTests {
    func repos(_ state: AppState) -> [String] {
        let r = state.browser!.repositories
        return r.visible.map { r.all[$0].name }
    }

    @Test func navigationKeys() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        #expect(repos(state) == ["api-gateway", "日本語ドキュメント", "🚀 launcher", "billing", "evil\u{1B}[2Jname"])
        _ = Update.update(&state, .event(.key(.character("j"))))
        _ = Update.update(&state, .event(.key(.down)))
        #expect(state.browser?.repositories.list.selected == 2)
        _ = Update.update(&state, .event(.key(.character("G"))))
        #expect(state.browser?.repositories.list.selected == 4)
        _ = Update.update(&state, .event(.key(.character("g"))))
        #expect(state.browser?.repositories.list.selected == 0)
        _ = Update.update(&state, .event(.key(.tab)))
        #expect(state.browser?.pane == .workspaces)
        _ = Update.update(&state, .event(.key(.tab)))
        _ = Update.update(&state, .event(.key(.tab)))
        #expect(state.browser?.pane == .profile, "Tab wraps after the SSH keys pane")
        _ = Update.update(&state, .event(.key(.backTab)))
        #expect(state.browser?.pane == .sshKeys)
        _ = Update.update(&state, .event(.key(.character("4"))))
        #expect(state.browser?.pane == .workspaces)
        _ = Update.update(&state, .event(.key(.character("3"))))
        #expect(state.browser?.pane == .repositories)
        _ = Update.update(&state, .event(.key(.character("2"))))
        #expect(state.browser?.pane == .emails)
    }

    @Test func filterIsIncrementalAndCaseInsensitive() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(&state, .event(.key(.character("/"))))
        #expect(state.browser?.repositories.isEditingFilter == true)
        for c in "GO" { _ = Update.update(&state, .event(.key(.character(c)))) }
        // "go" matches the language "go" and "api-gateway"'s description? Only the first.
        #expect(repos(state) == ["api-gateway"])
        _ = Update.update(&state, .event(.key(.backspace)))
        _ = Update.update(&state, .event(.key(.backspace)))
        for c in "launch" { _ = Update.update(&state, .event(.key(.character(c)))) }
        #expect(repos(state) == ["🚀 launcher"])
        _ = Update.update(&state, .event(.key(.enter)))
        #expect(state.browser?.repositories.isEditingFilter == false)
        #expect(state.browser?.repositories.filter == "launch")
        _ = Update.update(&state, .event(.key(.escape)))
        #expect(repos(state).count == 5)
    }

    /// Issue 24: a filter typed in decomposed form (`u` + U+0308) finds the composed name, and
    /// the other way round: canonically equivalent text is equal.
    @Test(arguments: ["mu\u{0308}nchen", "m\u{00FC}nchen", "MU\u{0308}NCHEN"])
    func filtersCompareCanonicallyEquivalentTextAsEqual(filter: String) {
        var repositories = RepositoriesState()
        repositories.replaceAll([
            Fixtures.repository(0, name: "m\u{00FC}nchen-office"), Fixtures.repository(1, name: "mu\u{0308}nchen-lab"),
            Fixtures.repository(2, name: "munich"),
        ])
        repositories.setFilter(filter)
        let names = repositories.visible.map { repositories.all[$0].name }
        #expect(Set(names) == ["m\u{00FC}nchen-office", "mu\u{0308}nchen-lab"])
    }

    @Test func sortCyclesAndReverses() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(&state, .event(.key(.character("s"))))
        #expect(state.browser?.repositories.sort == .name)
        #expect(repos(state) == ["api-gateway", "billing", "evil\u{1B}[2Jname", "日本語ドキュメント", "🚀 launcher"])
        _ = Update.update(&state, .event(.key(.character("s"))))
        #expect(state.browser?.repositories.sort == .size)
        #expect(repos(state).first == "api-gateway")
        _ = Update.update(&state, .event(.key(.character("S"))))
        #expect(repos(state).first == "日本語ドキュメント")
        _ = Update.update(&state, .event(.key(.character("s"))))
        #expect(state.browser?.repositories.sort == .workspace)
        _ = Update.update(&state, .event(.key(.character("s"))))
        #expect(state.browser?.repositories.sort == .updated)
    }

    @Test func workspaceFilterCycles() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(&state, .event(.key(.character("w"))))
        #expect(state.browser?.repositories.workspaceFilter == "acme-platform")
        #expect(repos(state) == ["api-gateway", "billing"])
        _ = Update.update(&state, .event(.key(.character("w"))))
        _ = Update.update(&state, .event(.key(.character("w"))))
        _ = Update.update(&state, .event(.key(.character("w"))))
        #expect(state.browser?.repositories.workspaceFilter == nil)
    }

    @Test func detailAndCopyKeys() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        #expect(Update.update(&state, .event(.key(.enter))) == [])
        #expect(state.browser?.repositories.detail == "{r0}")
        #expect(
            Update.update(&state, .event(.key(.character("y")))) == [
                .copy(
                    "git@ssh.bitbucket.org:acme-platform/api-gateway.git",
                    what: "the SSH clone URL of acme-platform/api-gateway")
            ])
        #expect(
            Update.update(&state, .event(.key(.character("Y")))) == [
                .copy(
                    "https://zoe@bitbucket.org/acme-platform/api-gateway.git",
                    what: "the HTTPS clone URL of acme-platform/api-gateway")
            ])
        #expect(
            Update.update(&state, .event(.key(.character("u")))) == [
                .copy(
                    "https://bitbucket.org/acme-platform/api-gateway", what: "the web URL of acme-platform/api-gateway")
            ])
        // No display here: `o` shows the URL plainly instead of opening it.
        #expect(
            Update.update(&state, .event(.key(.character("o")))) == [
                .showPlainly("https://bitbucket.org/acme-platform/api-gateway")
            ])
        _ = Update.update(&state, .event(.key(.escape)))
        #expect(state.browser?.repositories.detail == nil)
    }

    @Test func copyResultIsReported() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(&state, .copied(.osc52Passthrough("tmux"), what: "the SSH clone URL"))
        #expect(state.message?.kind == .success)
        #expect(state.message?.text.contains("through tmux") == true)
        _ = Update.update(&state, .clock(Fixtures.now.addingTimeInterval(60)))
        #expect(state.message == nil)
    }

    @Test(arguments: [
        (Key.character("r"), Pane.repositories, [Effect.cancelRepositories, .fetchWorkspaces]),
        (.character("r"), .profile, [.fetchUser]),
        (.character("r"), .emails, [.fetchEmails]),
        (.character("R"), .emails, [.cancelRepositories, .fetchUser, .fetchEmails, .fetchWorkspaces, .fetchSSHKeys]),
        (.character("r"), .sshKeys, [.fetchSSHKeys]),
        (.character("a"), .emails, [.listAccounts]),
        (.character("m"), .emails, [.setMouse(true)]),
        (.character("q"), .emails, [.quit]),
    ])
    func dataKeys(key: Key, pane: Pane, effects: [Effect]) {
        var browser = Fixtures.browser()
        browser.pane = pane
        var state = Fixtures.state(.browser(browser))
        #expect(Update.update(&state, .event(.key(key))) == effects)
    }

    @Test func logoutAsksFirst() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        #expect(Update.update(&state, .event(.key(.character("L")))) == [])
        #expect(state.overlay == .confirmLogout(accountID: "{u}", name: "zoe"))
        #expect(Update.update(&state, .event(.key(.character("n")))) == [])
        #expect(state.overlay == nil)
        _ = Update.update(&state, .event(.key(.character("L"))))
        #expect(
            Update.update(&state, .event(.key(.character("y")))) == [.cancelRepositories, .logout(accountID: "{u}")])
    }

    @Test func batchesArriveAndKeepTheTopSelection() {
        var browser = BrowserState(account: Fixtures.account)
        _ = BrowserUpdate.startFetchAll(&browser)
        var state = Fixtures.state(.browser(browser))
        #expect(
            Update.update(&state, .workspacesLoaded(.success([]), at: Fixtures.now)) == [
                .fetchRepositories([]), .fetchWorkspaceDetails([]),
            ])
        let first = Array(Fixtures.repositories.suffix(2))
        _ = Update.update(
            &state, .repositoriesBatch(RepositoryBatch(repositories: first, loaded: 2, expectedTotal: 5, failures: [:]))
        )
        #expect(state.browser?.repositories.progress == .loading(loaded: 2, total: 5))
        _ = Update.update(
            &state,
            .repositoriesBatch(
                RepositoryBatch(
                    repositories: Array(Fixtures.repositories.prefix(3)), loaded: 5, expectedTotal: 5, failures: [:])))
        #expect(repos(state) == ["api-gateway", "日本語ドキュメント", "🚀 launcher", "billing", "evil\u{1B}[2Jname"])
        #expect(state.browser?.repositories.list.selected == 0)
        _ = Update.update(&state, .repositoriesFinished(nil, at: Fixtures.now))
        #expect(state.browser?.repositories.progress == .done(fetchedAt: Fixtures.now, isCached: false))
    }

    @Test func refreshReplacesCachedRowsOnlyWhenTheFirstBatchArrives() {
        var browser = Fixtures.browser()
        browser.repositories.progress = .done(fetchedAt: Fixtures.now, isCached: true)
        var state = Fixtures.state(.browser(browser))
        _ = Update.update(&state, .event(.key(.character("r"))))
        #expect(state.browser?.repositories.all.count == 5)
        _ = Update.update(&state, .workspacesLoaded(.success([]), at: Fixtures.now))
        _ = Update.update(
            &state,
            .repositoriesBatch(
                RepositoryBatch(
                    repositories: [Fixtures.repository(9, name: "fresh")], loaded: 1, expectedTotal: 1, failures: [:])))
        #expect(repos(state) == ["fresh"])
    }

    @Test func errorsStayInTheirPane() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(
            &state,
            .emailsLoaded(.failure(.api(.missingScopes(required: ["email"], granted: ["account"]))), at: Fixtures.now))
        #expect(state.browser?.emails.error == .api(.missingScopes(required: ["email"], granted: ["account"])))
        #expect(state.browser?.emails.value == Fixtures.emails)
        #expect(state.overlay == nil)
        _ = Update.update(&state, .repositoriesFinished(.api(.rateLimited), at: Fixtures.now))
        #expect(state.browser?.repositories.progress == .failed(.api(.rateLimited)))
        #expect(state.browser?.repositories.all.count == 5)
    }

    @Test func signalsQuit() {
        for signal in [TerminalSignal.terminate, .hangup, .interrupt, .quit] {
            var state = Fixtures.state(.browser(Fixtures.browser()))
            #expect(Update.update(&state, .event(.signal(signal))) == [.quit])
            #expect(state.shouldQuit)
        }
        var state = Fixtures.state(.browser(Fixtures.browser()))
        #expect(Update.update(&state, .event(.signal(.suspend))) == [.suspend])
        #expect(Update.update(&state, .event(.resumed)) == [.redraw])
    }

    @Test func pagingUsesTheVisibleHeight() {
        let many = (0..<200).map { Fixtures.repository($0) }
        var state = Fixtures.state(.browser(Fixtures.browser(repositories: many)))
        let rows = Layout(size: state.size).repositoryRows
        _ = Update.update(&state, .event(.key(.pageDown)))
        #expect(state.browser?.repositories.list.selected == rows - 1)
        _ = Update.update(&state, .event(.key(.ctrl("d"))))
        #expect(state.browser?.repositories.list.selected == rows - 1 + rows / 2)
    }
}

@Suite struct KeymapTests {
    /// Every hint drawn in a footer, a legend or a dialog names a key that really does it there.
    @Test(arguments: KeyContext.allCases)
    func everyHintIsAKeyThatWorks(context: KeyContext) {
        for pane in [nil] + Pane.allCases.map(Optional.some) {
            // A pane's own binding is judged in its pane (outside the browser, in none).
            for binding in (context == .detail ? Keymap.detail : Keymap.standard.table(context))
            where binding.hint != nil && (pane == nil ? binding.panes == nil : binding.applies(to: pane)) {
                let command = Keymap.standard.command(
                    for: binding.keys[0], in: context, pane: pane, isDemo: binding.isDemoOnly)
                #expect(
                    command == binding.command,
                    "\(context) \(String(describing: pane)): \(binding.keys[0]) does \(String(describing: command))")
            }
        }
    }

    @Test func footersShowOnlyKeysThatWorkInThePane() {
        #expect(
            Keymap.standard.hints(.browser, pane: .profile).map(\.label) == [
                "pane", "filter", "refresh", "help", "quit",
            ])
        #expect(
            Keymap.standard.hints(.browser, pane: .repositories).map(\.label) == [
                "pane", "details", "filter", "sort", "copy", "clone", "refresh", "help", "quit",
            ])
        #expect(
            Keymap.standard.hints(.browser, pane: .workspaces).map(\.label) == [
                "pane", "repositories", "filter", "refresh", "help", "quit",
            ])
        #expect(
            Keymap.standard.hints(.browser, pane: .sshKeys).map(\.label) == [
                "pane", "filter", "copy key", "show key", "refresh", "help", "quit",
            ])
        #expect(
            Keymap.standard.hints(.detail).map(\.label) == ["back", "ssh", "https", "web", "open", "plain", "help"])
        #expect(Keymap.standard.buttons(.confirmLogout) == ["y: Log out", "n: Cancel"])
        #expect(Keymap.standard.legend(.browser).map(\.keys) == ["Tab", "/", "?"])
    }

    @Test func helpScrollsToItsEndAndNoFurther() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        _ = Update.update(&state, .event(.key(.character("?"))))
        _ = Update.update(&state, .event(.key(.end)))
        guard case .help(let bottom) = state.overlay else {
            Issue.record("no help")
            return
        }
        #expect(bottom > 0)
        #expect(bottom == AppView.helpOverlay(state).maxScroll(in: Rect(size: state.size)))
        _ = Update.update(&state, .event(.key(.character("j"))))
        #expect(state.overlay == .help(scroll: bottom))
        _ = Update.update(&state, .event(.key(.character("k"))))
        #expect(state.overlay == .help(scroll: bottom - 1))
        _ = Update.update(&state, .event(.key(.character("g"))))
        #expect(state.overlay == .help(scroll: 0))
        _ = Update.update(&state, .event(.key(.character("q"))))
        #expect(state.overlay == nil)
    }

    @Test func pShowsTheLastCopiedURLPlainlyInTheBrowser() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        let copy = Update.update(&state, .event(.key(.character("Y"))))
        guard case .copy(let url, _)? = copy.first else {
            Issue.record("no copy: \(copy)")
            return
        }
        #expect(Update.update(&state, .event(.key(.character("p")))) == [.showPlainly(url)])
    }
}

@Suite struct FilterJumpTests {
    @Test func aNewFilterJumpsToItsFirstMatchAndClearingGoesBack() {
        var state = Fixtures.state(.browser(Fixtures.browser()))
        for _ in 0..<3 { _ = Update.update(&state, .event(.key(.character("j")))) }
        let before = state.browser?.repositories.selected?.uuid
        #expect(state.browser?.repositories.list.selected == 3)
        _ = Update.update(&state, .event(.key(.character("/"))))
        _ = Update.update(&state, .event(.key(.character("a"))))
        #expect(state.browser?.repositories.list.selected == 0)
        #expect(state.browser?.repositories.list.offset == 0)
        _ = Update.update(&state, .event(.key(.escape)))
        #expect(state.browser?.repositories.filter == "")
        #expect(state.browser?.repositories.selected?.uuid == before)
    }
}

/// Requests spent of the hour's limit, and listings whose counts disagree, are shown.
@Suite struct ListingStatusTests {
    @Test func theRepositoriesLineShowsTheHoursRequestsAndAPartialListing() {
        var state = Fixtures.state(.browser(Fixtures.browser()), size: Size(width: 170, height: 20))
        let before = AppView.render(state).lines.joined(separator: "\n")
        #expect(!before.contains("req/h"))
        _ = Update.update(&state, .requestUsage(RequestLedger.Usage(used: 57, limit: 1000, nextFreeAt: nil)))
        var batch = RepositoryBatch(repositories: [], loaded: 3, expectedTotal: 4, failures: [:], isFinal: true)
        batch.mismatches = ["acme-platform": CountMismatch(listed: 3, reported: 4, keptChanging: true)]
        _ = Update.update(&state, .repositoriesBatch(batch))
        let after = AppView.render(state).lines.joined(separator: "\n")
        #expect(after.contains("57/1000 req/h"), "\(after)")
        #expect(after.contains("partial: acme-platform changed while listed, 3 of 4"), "\(after)")
    }

    @Test func aSnapshotBatchReplacesWhatWasShown() {
        var state = Fixtures.state(.browser(Fixtures.browser()), size: Size(width: 120, height: 20))
        let kept = Array(Fixtures.repositories.prefix(2))
        _ = Update.update(
            &state,
            .repositoriesBatch(
                RepositoryBatch(
                    repositories: kept, loaded: 2, expectedTotal: 2, failures: [:], isSnapshot: true, isFinal: true)))
        #expect(state.browser?.repositories.all.map(\.uuid) == kept.map(\.uuid))
    }
}

/// The Workspaces and SSH keys panes: what Enter, r, y and p do, and each failure's own words.
@Suite struct AccountPaneTests {
    static let workspaces = [
        Workspace(uuid: "{w1}", slug: "acme", name: "ACME", isAdministrator: true),
        Workspace(uuid: "{w2}", slug: "ops", name: nil, isAdministrator: false),
    ]

    static func report(local: [LocalKey] = []) -> SSHKeyReport {
        let keys = [
            SSHKey(
                uuid: "{k1}", key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvSj8yD3U2GugmyqiaQnlRcBV1v4F0DyJWw5QZAvPzh",
                label: "laptop")
        ]
        return SSHKeyReport(accountKeys: keys, local: LocalKeys.Found(keys: local), now: Fixtures.now)
    }

    @Test func enterOnAWorkspaceShowsItsRepositoriesAndRRefreshesTheDetails() {
        var browser = Fixtures.browser()
        browser.pane = .workspaces
        browser.workspaces = .loaded(Snapshot(Self.workspaces, fetchedAt: Fixtures.now))
        browser.workspaceDetails = .loaded(
            Snapshot(
                Self.workspaces.map { WorkspaceDetail(workspace: $0, projects: ["Main"]) }, fetchedAt: Fixtures.now))
        browser.workspaceList.selected = 1
        var state = Fixtures.state(.browser(browser))
        #expect(Update.update(&state, .event(.key(.character("r")))) == [.fetchWorkspaceDetails(Self.workspaces)])
        _ = Update.update(&state, .event(.key(.enter)))
        #expect(state.browser?.pane == .repositories)
        #expect(state.browser?.repositories.workspaceFilter == "ops")
        #expect(state.message?.text.contains("Showing workspace ops only") == true)
    }

    @Test func yAndPGiveThisMachinesKeyOrSayThereIsNone() {
        var browser = Fixtures.browser()
        browser.pane = .sshKeys
        browser.sshKeys = .loaded(Snapshot(Self.report(), fetchedAt: Fixtures.now))
        var state = Fixtures.state(.browser(browser))
        #expect(Update.update(&state, .event(.key(.character("y")))) == [])
        #expect(state.message?.text.contains("This machine has no SSH public key") == true)

        let local = LocalKey(
            key: SSHPublicKey(
                line:
                    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0Y2V0eXBlZm9yZXZlcmFuZG5ldmVybW9yZTAxMjM0NTY3 me\u{1B}[31m@host"
            )!, source: "~/.ssh/id_ed25519.pub")
        browser.sshKeys = .loaded(Snapshot(Self.report(local: [local]), fetchedAt: Fixtures.now))
        state = Fixtures.state(.browser(browser))
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0Y2V0eXBlZm9yZXZlcmFuZG5ldmVybW9yZTAxMjM0NTY3 me␛[31m@host"
        #expect(Update.update(&state, .event(.key(.character("p")))) == [.showPlainly(line)])
        #expect(
            Update.update(&state, .event(.key(.character("y")))) == [
                .copy(line, what: "this machine's public key (\(local.key.fingerprint))")
            ])
    }

    @Test(arguments: [
        (
            AppError.api(.missingScopes(required: ["account"], granted: ["email"])),
            "lacks the account scope needed to read SSH keys"
        ),
        (.api(.http(403, "Forbidden")), "Bitbucket refused to show this account's SSH keys (403: Forbidden)"),
    ])
    func eachFailureHasItsOwnWords(error: AppError, words: String) {
        var browser = Fixtures.browser()
        browser.pane = .sshKeys
        var state = Fixtures.state(.browser(browser), size: Size(width: 140, height: 24))
        _ = Update.update(&state, .sshKeysLoaded(.failure(error), at: Fixtures.now))
        let screen = AppView.render(state).lines.joined(separator: "\n")
        #expect(screen.contains(words), "\(screen)")
    }

    @Test func anAccountWithoutKeysSaysSo() {
        var browser = Fixtures.browser()
        browser.pane = .sshKeys
        var state = Fixtures.state(.browser(browser), size: Size(width: 160, height: 24))
        _ = Update.update(
            &state,
            .sshKeysLoaded(
                .success(SSHKeyReport(accountKeys: [], local: LocalKeys.Found(), now: Fixtures.now)), at: Fixtures.now))
        let screen = AppView.render(state).lines.joined(separator: "\n")
        #expect(screen.contains("the account has no SSH key"), "\(screen)")
    }
}
