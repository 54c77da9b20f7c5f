import Foundation
import TerminalUI
import Testing

@testable import App
@testable import BitbucketKit

/// Text snapshots of every screen at 80×24 and 40×12. Re-record with BBTUI_RECORD_SNAPSHOTS=1.
@Suite struct SnapshotTests {
    static let sizes = [Size(width: 80, height: 24), Size(width: 40, height: 12)]

    func check(_ name: String, _ make: (Size) -> AppState) {
        for size in Self.sizes {
            let screen = AppView.render(make(size))
            assertSnapshot(screen, named: "\(name)-\(size.width)x\(size.height)")
            // Nothing from the network reaches the screen raw: no view handed the screen an
            // unsanitised control (the screen would drop it silently, so it counts them), and no
            // cell holds one.
            #expect(screen.unsanitizedDrops == 0, "\(name): a view drew unsanitised text")
            for cell in screen.cells {
                #expect(
                    !cell.text.unicodeScalars.contains {
                        $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value)
                            || (0x2066...0x2069).contains($0.value)
                    })
            }
        }
    }

    @Test func loginWaiting() {
        check("login-waiting") { Fixtures.state(.login(Fixtures.login()), size: $0) }
    }

    @Test func loginOverSSHInDemo() {
        check("login-ssh-demo") { size in
            var state = Fixtures.state(.login(Fixtures.login()), size: size)
            state.environment = Environment(isSSH: true, hasDisplay: false, hostName: "devbox", isDemo: true)
            return state
        }
    }

    /// The SSH keys pane with hostile labels and comments: one key usable from here, one expired,
    /// one unused for years; and the same account seen from a machine without a matching key.
    @Test func sshKeys() {
        let now = Fixtures.now
        let keys = [
            SSHKey(
                uuid: "{k1}", key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvSj8yD3U2GugmyqiaQnlRcBV1v4F0DyJWw5QZAvPzh",
                label: "laptop\u{1B}[2J", comment: "zoe@laptop", createdOn: now.addingTimeInterval(-400 * 86_400),
                lastUsed: now.addingTimeInterval(-3 * 86_400)),
            SSHKey(
                uuid: "{k2}",
                key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0Y2V0eXBlZm9yZXZlcmFuZG5ldmVybW9yZTAxMjM0NTY3", label: "",
                comment: "old\u{202E}key", createdOn: now.addingTimeInterval(-2_000 * 86_400),
                expiresOn: now.addingTimeInterval(-86_400)),
        ]
        let mine = LocalKey(key: SSHPublicKey(line: keys[0].key + " zoe@laptop")!, source: "~/.ssh/id_ed25519.pub")
        check("ssh-keys-usable") { size in
            var browser = Fixtures.browser()
            browser.pane = .sshKeys
            browser.sshKeys = .loaded(
                Snapshot(
                    SSHKeyReport(accountKeys: keys, local: LocalKeys.Found(keys: [mine]), now: now), fetchedAt: now))
            var state = Fixtures.state(.browser(browser), size: size)
            state.environment = Environment(isSSH: true, hostName: "devbox")
            return state
        }
        let other = LocalKey(
            key: SSHPublicKey(
                line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGNvbXBsZXRlbHlkaWZmZXJlbnRrZXlmb3J0aGlzbWFjaGluZQ== me")!,
            source: "ssh-agent")
        check("ssh-keys-none-usable") { size in
            var browser = Fixtures.browser()
            browser.pane = .sshKeys
            browser.sshKeys = .loaded(
                Snapshot(
                    SSHKeyReport(
                        accountKeys: keys,
                        local: LocalKeys.Found(keys: [other], notes: ["~/.ssh/id_rsa.pub could not be read"]), now: now),
                    fetchedAt: now))
            var state = Fixtures.state(.browser(browser), size: size)
            state.environment = Environment(isSSH: true, hostName: "devbox")
            return state
        }
    }

    /// The Workspaces pane: names (one hostile, one unset), roles, counts from the listing, projects.
    @Test func workspaces() {
        check("workspaces") { size in
            var browser = Fixtures.browser()
            browser.pane = .workspaces
            browser.repositories.progress = .done(fetchedAt: Fixtures.now, isCached: false)
            browser.workspaceDetails = .loaded(
                Snapshot(
                    [
                        WorkspaceDetail(
                            workspace: Workspace(
                                uuid: "{1}", slug: "acme-platform", name: "ACME \u{1B}]52;c;ZXZpbA==\u{07}Platform",
                                isAdministrator: true), projects: ["Main project", "Core services"]),
                        WorkspaceDetail(
                            workspace: Workspace(uuid: "{2}", slug: "data-science", name: nil, isAdministrator: false),
                            projects: []),
                        WorkspaceDetail(
                            workspace: Workspace(
                                uuid: "{3}", slug: "mobile-guild", name: "Mobile Guild 📱", isAdministrator: false),
                            problem: "Bitbucket failed with HTTP 503."),
                    ], fetchedAt: Fixtures.now))
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test func loginExchanging() {
        check("login-exchanging") {
            Fixtures.state(.login(Fixtures.login(phase: .exchanging, field: "AbCdEf0123456789xy")), size: $0)
        }
    }

    @Test func loginProblem() {
        check("login-problem") {
            Fixtures.state(
                .login(
                    Fixtures.login(field: "nonsense!", problem: PastedAuthorization.Problem.unrecognized.description)),
                size: $0)
        }
    }

    @Test func loginUnconfigured() {
        check("login-unconfigured") { size in
            var login = LoginState()
            login.phase = .waiting
            login.problem = ConfigurationError.invalidURL("BBTUI_TOKEN_URL", "not a url").description
            return Fixtures.state(.login(login), size: size)
        }
    }

    /// Issue 19: the setup screen, with a Key typed, a Secret masked, and Bitbucket's refusal.
    @Test func setupRefused() {
        check("setup-refused") { size in
            var login = LoginState()
            var form = SetupForm(
                reason: ConfigurationError.missing("BITBUCKET_CLIENT_ID", "the consumer's Key").description,
                callbackURL: "http://127.0.0.1:8976/callback")
            form.key.set("emuKey4bbtuiDemo01")
            form.secret.set("not-the-secret")
            form.focus = .secret
            form.problem =
                "Bitbucket refused this Key and Secret (Invalid OAuth client credentials). Copy both again from the consumer (Workspace settings → OAuth consumers → bbtui → Key, Secret)."
            login.setup = form
            return Fixtures.state(.login(login), size: size)
        }
    }

    /// Issue 19: `t` on the login screen: an Atlassian API token's email and (masked) token.
    @Test func apiTokenForm() {
        check("api-token-form") { size in
            var login = LoginState()
            var form = SetupForm(
                reason: "", callbackURL: "https://id.atlassian.com/manage-profile/security/api-tokens", kind: .apiToken)
            form.key.set("zoe@example.com")
            form.secret.set("ATATT3xFfGF0")
            form.focus = .secret
            login.setup = form
            return Fixtures.state(.login(login), size: size)
        }
    }

    @Test func loginPreparing() {
        check("login-preparing") { Fixtures.state(.login(LoginState()), size: $0) }
    }

    @Test func repositoriesLoaded() {
        check("repositories-loaded") { Fixtures.state(.browser(Fixtures.browser()), size: $0) }
    }

    @Test func repositoriesLoading() {
        check("repositories-loading") { size in
            var browser = Fixtures.browser(repositories: [])
            browser.repositories.progress = .loading(loaded: 0, total: nil)
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test func repositoriesPartlyLoadedAndCached() {
        check("repositories-progress") { size in
            var browser = Fixtures.browser()
            browser.repositories.progress = .loading(loaded: 5, total: 5000)
            return Fixtures.state(.browser(browser), size: size)
        }
        check("repositories-cached") { size in
            var browser = Fixtures.browser()
            browser.repositories.progress = .loading(loaded: 0, total: nil)
            browser.repositories.cachedAt = Fixtures.now.addingTimeInterval(-3 * 3600)
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test func repositoriesEmpty() {
        check("repositories-empty") { Fixtures.state(.browser(Fixtures.browser(repositories: [])), size: $0) }
    }

    @Test func repositoriesFilteredToNothing() {
        check("repositories-no-match") { size in
            var browser = Fixtures.browser()
            browser.repositories.setFilter("zzz")
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test func repositoriesFiltering() {
        check("repositories-filtering") { size in
            var browser = Fixtures.browser()
            browser.repositories.isEditingFilter = true
            browser.repositories.filterField.set("api")
            browser.repositories.setFilter("api")
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test(arguments: [
        ("scopes", AppError.api(.missingScopes(required: ["repository"], granted: ["account"]))),
        ("rate-limited", .api(.rateLimited)),
        ("gone", .api(.gone(change: "CHANGE-2770", message: "CHANGE-2770 - Functionality has been deprecated"))),
        ("network", .api(.network(TransportError(.connectionRefused, host: "api.bitbucket.org")))),
        ("server", .api(.server(503, "an HTML error page"))),
    ])
    func repositoriesError(name: String, error: AppError) {
        check("repositories-error-\(name)") { size in
            var browser = Fixtures.browser(repositories: [])
            browser.repositories.progress = .failed(error)
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test func repositoryDetail() {
        check("repository-detail") { size in
            var browser = Fixtures.browser()
            browser.repositories.detail = "{r0}"
            return Fixtures.state(.browser(browser), size: size)
        }
        check("repository-detail-hostile") { size in
            var browser = Fixtures.browser()
            browser.repositories.detail = "{r4}"
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    /// A wide terminal gives its spare width to the description, not to names and workspaces.
    @Test func wideTerminalShowsDescriptions() {
        let screen = AppView.render(Fixtures.state(.browser(Fixtures.browser()), size: Size(width: 160, height: 12)))
        assertSnapshot(screen, named: "repositories-160x12")
        #expect(screen.lines.contains { $0.contains("Description") })
        #expect(screen.lines.contains { $0.contains("Edge routing for every public API.") })
    }

    /// A long message wraps above the bar instead of being cut at the edge.
    @Test func longMessage() {
        check("message-long") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.message = StatusMessage(
                "Sent the SSH clone URL of acme-platform/api-gateway to your terminal's clipboard (OSC 52) through tmux. Nothing arrived? p shows it plainly; see the README for tmux's settings.",
                kind: .success)
            return state
        }
    }

    @Test func profile() {
        check("profile") { size in
            var browser = Fixtures.browser()
            browser.pane = .profile
            return Fixtures.state(.browser(browser), size: size)
        }
        check("profile-loading") { size in
            var browser = Fixtures.browser()
            browser.pane = .profile
            browser.user = .loading(stale: nil)
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    @Test func emails() {
        check("emails") { size in
            var browser = Fixtures.browser()
            browser.pane = .emails
            return Fixtures.state(.browser(browser), size: size)
        }
        check("emails-error-scopes") { size in
            var browser = Fixtures.browser()
            browser.pane = .emails
            browser.emails = .failed(.api(.missingScopes(required: ["email"], granted: ["account"])), stale: nil)
            return Fixtures.state(.browser(browser), size: size)
        }
    }

    /// Issue 22: with the config file's keys, the footer, the legend and the help show them.
    @Test func remappedKeys() throws {
        let keymap = try KeymapConfigurationTests.keymap(KeymapConfigurationTests.remapped)
        check("repositories-remapped") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.environment.keymap = keymap
            return state
        }
        check("help-remapped") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.environment.keymap = keymap
            state.overlay = .help(scroll: 0)
            return state
        }
    }

    @Test func overlays() {
        check("help") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.overlay = .help(scroll: 0)
            return state
        }
        check("confirm-logout") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.overlay = .confirmLogout(accountID: "{u}", name: "zoe")
            return state
        }
        check("relogin") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.overlay = .relogin(reason: OAuthError.invalidGrant("Invalid refresh_token").description)
            return state
        }
        check("accounts") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.overlay = .accounts(
                AccountsOverlay(
                    accounts: [
                        Fixtures.account,
                        AccountSummary(
                            id: "{b}", username: "bob", displayName: "Bob", tokenExpiresAt: Fixtures.now, storePath: ""),
                    ], activeID: "{u}"))
            return state
        }
    }

    @Test func cloning() {
        // Two rows marked, clones running: the title counts the marks, the status line the clones.
        check("repositories-marked-cloning") { size in
            var browser = Fixtures.browser()
            browser.repositories.marked = Set(browser.repositories.all.prefix(2).map(\.uuid))
            var state = Fixtures.state(.browser(browser), size: size)
            state.clones.enqueue([
                CloneBoard.Entry(
                    fullName: "acme/api", target: "/home/zoe/src/acme/api", cloneProtocol: .https,
                    status: .running(CloneProgress(phase: "Receiving objects", percent: 45))),
                CloneBoard.Entry(fullName: "acme/web", target: "", cloneProtocol: nil, status: .queued),
            ])
            return state
        }
        // The log: every kind of row, a hostile name and message drawn as text.
        check("clone-log") { size in
            var state = Fixtures.state(.browser(Fixtures.browser()), size: size)
            state.clones.enqueue([
                CloneBoard.Entry(
                    fullName: "acme/api", target: "/home/zoe/src/acme/api", cloneProtocol: .https,
                    status: .finished(.cloned)),
                CloneBoard.Entry(
                    fullName: "acme/evil\u{1B}[2J", target: "/home/zoe/src/acme/evil", cloneProtocol: .ssh,
                    status: .finished(
                        .failed("acme/evil\u{1B}]0;pwned\u{07}: no such repository, or the account cannot see it."))),
                CloneBoard.Entry(
                    fullName: "acme/web", target: "/home/zoe/src/acme/web", cloneProtocol: .https,
                    status: .finished(.cancelled)),
                CloneBoard.Entry(
                    fullName: "ops/infra", target: "/home/zoe/src/ops/infra", cloneProtocol: .https,
                    status: .running(CloneProgress(phase: "Resolving deltas", percent: 80))),
                CloneBoard.Entry(fullName: "ops/docs", target: "", cloneProtocol: nil, status: .queued),
            ])
            state.overlay = .cloneLog
            return state
        }
    }

    @Test func tooSmall() {
        let screen = AppView.render(Fixtures.state(.browser(Fixtures.browser()), size: Size(width: 20, height: 5)))
        #expect(
            screen.lines == [
                "Terminal too small:", "20×5, bbtui needs", "30×8. Enlarge it, or", "press q to quit.", "",
            ])
        for size in [
            Size(width: 1, height: 1), Size(width: 0, height: 0), Size(width: 29, height: 100),
            Size(width: 300, height: 7),
        ] {
            _ = AppView.render(Fixtures.state(.browser(Fixtures.browser()), size: size))
            _ = AppView.render(Fixtures.state(.login(Fixtures.login()), size: size))
        }
    }
}
