import Foundation
import Synchronization
import TerminalUI
import Testing

@testable import App
@testable import BitbucketKit

// MARK: - Fakes

/// Accounts in memory; remembers which thread each call came on.
final class FakeAccounts: AccountStore {
    struct State {
        var accounts: [StoredAccount] = []
        var calls: [String] = []
        var threads: [String] = []
        var failure: StoreError?
    }

    let state = Mutex(State())

    init(_ accounts: [StoredAccount]) { state.withLock { $0.accounts = accounts } }

    private func record(_ call: String) throws {
        try state.withLock { state in
            state.calls.append(call)
            state.threads.append(DispatchQueue.getSpecific(key: EffectRunner.ioQueueKey) == true ? "io" : "elsewhere")
            if let failure = state.failure { throw failure }
        }
    }

    func accounts() throws -> [StoredAccount] {
        try record("accounts")
        return state.withLock {
            $0.accounts.sorted { ($0.isActive ? 0 : 1, $0.username) < ($1.isActive ? 0 : 1, $1.username) }
        }
    }

    func activeAccount() throws -> StoredAccount? {
        try record("activeAccount")
        return state.withLock { $0.accounts.first { $0.isActive } }
    }

    func activate(accountID: String) throws -> Bool {
        try record("activate \(accountID)")
        return state.withLock { state in
            guard state.accounts.contains(where: { $0.id == accountID }) else { return false }
            for index in state.accounts.indices {
                state.accounts[index].isActive = state.accounts[index].id == accountID
            }
            return true
        }
    }

    func remove(accountID: String) throws {
        try record("remove \(accountID)")
        state.withLock { state in
            state.accounts.removeAll { $0.id == accountID }
            if !state.accounts.contains(where: \.isActive), !state.accounts.isEmpty {
                state.accounts[0].isActive = true
            }
        }
    }
}

/// A cache in memory, storing the same bytes as the SQLite one (the key's codec).
final class FakeCache: DataCache {
    let entries = Mutex<[String: ([UInt8], Date)]>([:])

    func put<T>(_ value: T, key: CacheKey<T>, accountID: String, fetchedAt: Date) throws {
        let body = try key.encode(value)
        entries.withLock { $0[accountID + "/" + key.name] = (body, fetchedAt) }
    }

    func get<T>(_ key: CacheKey<T>, accountID: String) -> (value: T, fetchedAt: Date)? {
        guard let (body, at) = entries.withLock({ $0[accountID + "/" + key.name] }),
            let value = key.decode(body)
        else { return nil }
        return (value, at)
    }

    func clear(accountID: String) throws {
        entries.withLock { $0 = $0.filter { !$0.key.hasPrefix(accountID + "/") } }
    }

    func touch<T>(_ key: CacheKey<T>, accountID: String, fetchedAt: Date) throws {
        entries.withLock { entries in
            entries[accountID + "/" + key.name].map { entries[accountID + "/" + key.name] = ($0.0, fetchedAt) }
        }
    }

    func remove<T>(_ key: CacheKey<T>, accountID: String) throws {
        entries.withLock { $0[accountID + "/" + key.name] = nil }
    }
}

/// The machine, recorded.
final class FakeSystem: SystemServices {
    let opened = Mutex<[String]>([])
    let written = Mutex<[(String, String)]>([])
    let openFailure: String?

    init(openFailure: String? = nil) { self.openFailure = openFailure }

    func openInBrowser(_ url: String) -> String? {
        opened.withLock { $0.append(url) }
        return openFailure
    }

    func writePrivateFile(_ path: String, contents: String) -> Result<String, AppError> {
        written.withLock { $0.append((path, contents)) }
        return .success(path)
    }
}

/// Logins that succeed or fail as told; sessions over a transport that answers from a table.
final class FakeSessions: SessionProvider {
    let result: Result<LoginCompletion.Result, OAuthError>
    let store: TokenStore
    let transport: CannedTransport

    init(
        result: Result<LoginCompletion.Result, OAuthError>, store: TokenStore,
        transport: CannedTransport = CannedTransport([:])
    ) {
        self.result = result
        self.store = store
        self.transport = transport
    }

    func completeLogin(apiToken: String, email: String, apiURL: URL) async throws -> LoginCompletion.Result {
        throw APITokenRefused()
    }

    func completeLogin(
        code: String, request: AuthorizationRequest, configuration: OAuthConfiguration
    ) async throws -> LoginCompletion.Result {
        try result.get()
    }

    func redirect(from url: URL) async throws -> String? {
        url.host == "demo.example"
            ? "http://127.0.0.1:8976/callback?code=Demo0123456789ab&state=\(url.query ?? "")" : nil
    }

    func session(
        for account: StoredAccount, onRetry: @escaping @Sendable (RetryingTransport.RetryNotice) -> Void
    ) -> AccountSession {
        AccountSession(account: account, store: store, transport: transport, now: { Fixtures.now }, onRetry: onRetry)
    }
}

/// Answers requests by path with fixed JSON.
struct CannedTransport: HTTPTransport {
    let answers: [String: String]
    init(_ answers: [String: String]) { self.answers = answers }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let body = answers[request.url.path] else {
            return HTTPResponse(
                status: 404, headers: ["content-type": "application/json"],
                body: Array(#"{"type":"error","error":{"message":"no such thing"}}"#.utf8))
        }
        return HTTPResponse(
            status: 200, headers: ["content-type": "application/json", "x-oauth-scopes": "account, email"],
            body: Array(body.utf8))
    }
}

/// What the runner sent, awaited with a deadline.
final class SentActions: Sendable {
    private let stream: AsyncStream<Action>
    private let continuation: AsyncStream<Action>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: Action.self) }

    var send: @Sendable (Action) -> Void { { [continuation] in continuation.yield($0) } }

    /// The next action that `matches`, or nil after `timeout`.
    func next(
        where matches: @escaping @Sendable (Action) -> Bool = { _ in true }, timeout: Duration = .seconds(10)
    ) async -> Action? {
        let stream = stream
        return try? await Deadline.run(within: timeout, timeout: { CancellationError() }) {
            for await action in stream where matches(action) { return action }
            throw CancellationError()
        }
    }
}

// MARK: - Tests

@Suite struct EffectRunnerTests {
    static let configuration = OAuthConfiguration(
        clientID: "k", clientSecret: "s", authorizeURL: URL(string: "http://127.0.0.1:9/authorize")!,
        tokenURL: URL(string: "http://127.0.0.1:9/token")!, apiURL: URL(string: "http://127.0.0.1:9/2.0")!)

    static func stored(_ id: String, _ name: String, active: Bool) -> StoredAccount {
        StoredAccount(
            id: id, username: name, displayName: name.capitalized, isActive: active, configuration: configuration,
            token: Token(
                accessToken: "a-\(id)", refreshToken: "r", expiresAt: Fixtures.now.addingTimeInterval(3600),
                scopes: ["account"]))
    }

    struct Rig {
        let accounts: FakeAccounts
        let cache: FakeCache
        let system: FakeSystem
        let sent: SentActions
        let runner: EffectRunner
        let services: AppServices
        let home: String
    }

    static func rig(
        accounts: [StoredAccount] = [stored("{a}", "ann", active: true), stored("{b}", "bob", active: false)],
        login: Result<LoginCompletion.Result, OAuthError> = .failure(.accessDenied),
        transport: CannedTransport = CannedTransport([:]), openFailure: String? = nil
    ) throws -> Rig {
        let home = NSTemporaryDirectory() + "bbtui-runner-" + UUID().uuidString
        let paths = StorePaths(configDirectory: home, cacheDirectory: home + "/cache")
        let fakeAccounts = FakeAccounts(accounts)
        let cache = FakeCache()
        let system = FakeSystem(openFailure: openFailure)
        let sessions = FakeSessions(result: login, store: try TokenStore(paths: paths), transport: transport)
        let services = AppServices(
            configuration: .success(configuration), listenerRedirectURI: URL(string: "http://127.0.0.1:0/callback")!,
            accounts: fakeAccounts, sessions: sessions, cache: cache, system: system, paths: paths, home: nil,
            now: { Fixtures.now })
        let sent = SentActions()
        return Rig(
            accounts: fakeAccounts, cache: cache, system: system, sent: sent,
            runner: EffectRunner(services: services, send: sent.send), services: services, home: home)
    }

    @Test func listingAccountsRunsOffTheCallersThreadAndSendsSummaries() async throws {
        let rig = try Self.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(.listAccounts)
        let action = await rig.sent.next()
        guard case .accountsListed(let summaries, let activeID) = action else {
            Issue.record("got \(String(describing: action))")
            return
        }
        #expect(summaries.map(\.username) == ["ann", "bob"])
        #expect(activeID == "{a}")
        #expect(rig.accounts.state.withLock { $0.threads } == ["io"])
    }

    @Test func switchingSendsTheNewAccountWithItsCacheNotAState() async throws {
        let rig = try Self.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        try rig.cache.put(Fixtures.emails, key: CacheStore.Key.emails, accountID: "{b}", fetchedAt: Fixtures.now)
        rig.runner.run(.switchAccount(id: "{b}"))
        let action = await rig.sent.next()
        guard case .accountChanged(let record?) = action else {
            Issue.record("got \(String(describing: action))")
            return
        }
        #expect(record.summary.id == "{b}")
        #expect(record.cached.emails == Snapshot(Fixtures.emails, fetchedAt: Fixtures.now, isCached: true))
        #expect(record.cached.user == nil)
        #expect(rig.accounts.state.withLock { $0.calls } == ["activate {b}", "activeAccount"])
    }

    @Test func loggingOutTheLastAccountClearsItsCacheAndAsksForALogin() async throws {
        let rig = try Self.rig(accounts: [Self.stored("{a}", "ann", active: true)])
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        try rig.cache.put(Fixtures.emails, key: CacheStore.Key.emails, accountID: "{a}", fetchedAt: Fixtures.now)
        rig.runner.run(.logout(accountID: "{a}"))
        #expect(await rig.sent.next() == .accountChanged(nil))
        #expect(rig.cache.entries.withLock { $0.isEmpty })
    }

    @Test func aStoreFailureIsReportedNotSwallowed() async throws {
        let rig = try Self.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.accounts.state.withLock { $0.failure = .writeFailed(path: "/x", reason: "No space left on device") }
        rig.runner.run(.switchAccount(id: "{b}"))
        #expect(
            await rig.sent.next()
                == .failed(
                    .store(
                        "Could not write /x: No space left on device. Nothing was changed. Free some space on that file system."
                    )))
    }

    @Test func theLoginURLIsWrittenThroughTheSystemPort() async throws {
        let rig = try Self.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(.writeURLFile("https://example/authorize?x=1"))
        #expect(await rig.sent.next() == .wroteURL(.success(rig.home + "/login-url.txt")))
        let written = rig.system.written.withLock { $0 }
        #expect(
            written.count == 1 && written[0].0 == rig.home + "/login-url.txt"
                && written[0].1 == "https://example/authorize?x=1\n")
    }

    /// The runner reports why; `update`, which knows the screen, adds what to use instead.
    @Test func aFailedOpenSaysWhy() async throws {
        let rig = try Self.rig(openFailure: "xdg-open failed (exit 3).")
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(.openURL("https://example/"))
        #expect(await rig.sent.next() == .opened(error: "xdg-open failed (exit 3)."))
        #expect(rig.system.opened.withLock { $0 } == ["https://example/"])
    }

    @Test func aLoginSendsTheRecordAndTheUserAndCachesTheProfile() async throws {
        let account = Self.stored("{z}", "zoe", active: true)
        let rig = try Self.rig(login: .success(LoginCompletion.Result(account: account, user: Fixtures.user)))
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(
            .exchange(code: "Code0123456789", request: AuthorizationRequest.make(configuration: Self.configuration)))
        let action = await rig.sent.next()
        guard case .loginSucceeded(let record, let user, let at) = action else {
            Issue.record("got \(String(describing: action))")
            return
        }
        #expect(record.summary.id == "{z}")
        #expect(user == Fixtures.user)
        #expect(at == Fixtures.now)
        #expect(rig.cache.get(CacheStore.Key.user, accountID: "{z}")?.value == Fixtures.user)
    }

    @Test func aFailedLoginSaysWhy() async throws {
        let rig = try Self.rig(login: .failure(.codeRejected("The specified code is not valid.")))
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(
            .exchange(code: "Code0123456789", request: AuthorizationRequest.make(configuration: Self.configuration)))
        #expect(await rig.sent.next() == .loginFailed(.oauth(.codeRejected("The specified code is not valid."))))
    }

    @Test func fetchingTheProfileGoesThroughTheSessionAndTheCache() async throws {
        let body =
            #"{"type": "user", "uuid": "{z}", "display_name": "Zoë", "nickname": "zoe", "account_id": "1", "links": {}}"#
        let rig = try Self.rig(transport: CannedTransport(["/2.0/user": body]))
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(.fetchUser)
        let action = await rig.sent.next { if case .userLoaded = $0 { return true } else { return false } }
        guard case .userLoaded(.success(let user), _) = action else {
            Issue.record("got \(String(describing: action))")
            return
        }
        #expect(user.displayName == "Zoë")
        #expect(user.grantedScopes == ["account", "email"])
        // The cache is written on the I/O queue, after the action.
        let deadline = ContinuousClock.now + .seconds(5)
        while rig.cache.get(CacheStore.Key.user, accountID: "{a}") == nil, ContinuousClock.now < deadline {
            await Task.yield()
        }
        #expect(rig.cache.get(CacheStore.Key.user, accountID: "{a}")?.value.displayName == "Zoë")
        // The store is read on the I/O queue, never on a pool thread (its busy timeout is 10 s).
        #expect(rig.accounts.state.withLock { $0.threads } == ["io"])
    }

    @Test func aFetchWithNoAccountFailsItsPaneInsteadOfLoadingForever() async throws {
        let rig = try Self.rig(accounts: [])
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(.fetchEmails)
        let action = await rig.sent.next()
        guard case .emailsLoaded(.failure(let error), _) = action else {
            Issue.record("got \(String(describing: action))")
            return
        }
        #expect(error.needsLogin)
    }
}

@Suite struct DemoApprovalTests {
    @Test func approvingAsTheDemoUserHandsTheRedirectToTheLogin() async throws {
        let rig = try EffectRunnerTests.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        rig.runner.run(.approveDemo("http://demo.example/site/oauth2/authorize?st4te"))
        #expect(await rig.sent.next() == .redirectReceived("code=Demo0123456789ab&state=st4te"))
        rig.runner.run(.approveDemo("http://elsewhere.example/authorize"))
        #expect(await rig.sent.next() == .loginFailed(.other("The demo's Bitbucket did not redirect to the callback.")))
    }

    @Test func dApprovesOnlyInTheDemo() {
        var demo = Fixtures.state(.login(Fixtures.login()))
        demo.environment = Environment(isSSH: true, hasDisplay: false, hostName: "devbox", isDemo: true)
        #expect(
            Update.update(&demo, .event(.key(.character("d")))) == [.approveDemo(Fixtures.request.url.absoluteString)])
        #expect(Keymap.standard.hints(.login, isDemo: true).map(\.label).contains("approve"))
        var real = Fixtures.state(.login(Fixtures.login()))
        #expect(Update.update(&real, .event(.key(.character("d")))) == [])
        #expect(real.login?.field.text == "d")
        #expect(!Keymap.standard.hints(.login).map(\.label).contains("approve"))
    }
}

@Suite struct AppServicesTests {
    @Test func theFirstStateShowsTheCacheAndFetchesEverything() throws {
        let rig = try EffectRunnerTests.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        try rig.cache.put(
            Fixtures.user, key: CacheStore.Key.user, accountID: "{a}", fetchedAt: Fixtures.now.addingTimeInterval(-60))
        let (state, effects) = rig.services.initialState(size: Size(width: 80, height: 24), environment: Environment())
        #expect(effects == [.fetchUser, .fetchEmails, .fetchWorkspaces, .fetchSSHKeys])
        #expect(state.browser?.account.id == "{a}")
        #expect(
            state.browser?.user
                == .loading(
                    stale: Snapshot(Fixtures.user, fetchedAt: Fixtures.now.addingTimeInterval(-60), isCached: true)))
    }

    /// The Workspaces and SSH keys panes show their first frame from the cache, like the others.
    @Test func theNewPanesStartFromTheCache() throws {
        let rig = try EffectRunnerTests.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        let fetched = Fixtures.now.addingTimeInterval(-300)
        let report = SSHKeyReport(
            accountKeys: [
                SSHKey(
                    uuid: "{k}",
                    key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvSj8yD3U2GugmyqiaQnlRcBV1v4F0DyJWw5QZAvPzh",
                    label: "laptop")
            ], local: LocalKeys.Found(), now: fetched)
        let details = [
            WorkspaceDetail(
                workspace: Workspace(uuid: "{w}", slug: "acme", name: "ACME", isAdministrator: true), projects: ["Main"]
            )
        ]
        try rig.cache.put(report, key: CacheStore.Key.sshKeys, accountID: "{a}", fetchedAt: fetched)
        try rig.cache.put(details, key: CacheStore.Key.workspaceDetails, accountID: "{a}", fetchedAt: fetched)
        let (state, _) = rig.services.initialState(size: Size(width: 80, height: 24), environment: Environment())
        #expect(state.browser?.sshKeys.value == report)
        #expect(state.browser?.sshKeys.snapshot?.isCached == true)
        #expect(state.browser?.workspaceDetails.value == details)
    }

    @Test func withNoAccountTheLoginScreenComesFirst() throws {
        let rig = try EffectRunnerTests.rig(accounts: [])
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        let (state, effects) = rig.services.initialState(size: Size(width: 80, height: 24), environment: Environment())
        #expect(effects == [.prepareLogin])
        #expect(state.login != nil)
    }

    @Test func addingAnAccountKeepsTheBrowserBehindTheLoginAndEscFetchesIt() throws {
        let rig = try EffectRunnerTests.rig()
        defer { try? FileManager.default.removeItem(atPath: rig.home) }
        var (state, effects) = rig.services.initialState(
            size: Size(width: 80, height: 24), environment: Environment(), startsWithLogin: true)
        #expect(effects == [.prepareLogin])
        #expect(state.login != nil)
        #expect(state.suspendedBrowser?.account.id == "{a}")
        let back = Update.update(&state, .event(.key(.escape)))
        #expect(back == [.stopListener, .fetchUser, .fetchEmails, .fetchWorkspaces, .fetchSSHKeys])
        #expect(state.browser?.account.id == "{a}")
    }
}

@Suite struct LiveSystemTests {
    @Test func childrenStartWithAnEmptySignalMaskAndDefaultDispositions() {
        // The caller blocks SIGTERM, as the UI thread's signal setup does; the child must not.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        #expect(
            ChildProcess.run("/bin/sh", ["-c", "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status"])
                == .ended(.exited(0)))
        #expect(ChildProcess.run("/bin/sh", ["-c", "kill -TERM $$"]) == .ended(.signalled(SIGTERM)))
        #expect(ChildProcess.run("/bin/sh", ["-c", "exit 7"]) == .ended(.exited(7)))
        #expect(ChildProcess.run("/nonexistent/program", []) == .notStarted("No such file or directory"))
    }

    @Test func thePrivateFileIsPrivateAndNeverFollowsALink() throws {
        let directory = NSTemporaryDirectory() + "bbtui-system-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/login-url.txt"
        #expect(LiveSystem().writePrivateFile(path, contents: "x\n") == .success(path))
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "x\n")
        let link = directory + "/link.txt"
        symlink(directory + "/target.txt", link)
        #expect(
            LiveSystem().writePrivateFile(link, contents: "y")
                == .failure(.store("\(link): Too many levels of symbolic links")))
        #expect(!FileManager.default.fileExists(atPath: directory + "/target.txt"))
    }
}
