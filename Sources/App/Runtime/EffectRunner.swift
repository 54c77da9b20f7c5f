import BitbucketKit
import Foundation
import Synchronization

/// Runs the effects that talk to the world (HTTP, store, files, processes) and sends their
/// results back as actions: plain values (an account record, a list, a path), which `update`
/// alone turns into state. Terminal effects are the program's, not this runner's.
///
/// Nothing here runs on the UI thread: network work runs as tasks, and everything that blocks
/// (SQLite with its busy timeout, files, a child process) runs on one serial I/O queue, off the
/// cooperative pool too.
public final class EffectRunner: Sendable {
    private let services: AppServices
    private let send: @Sendable (Action) -> Void
    private let session = Mutex(Session())
    private let io = DispatchQueue(label: "bbtui.effects.io")
    /// Set on the I/O queue, so tests can tell that blocking work ran there.
    static let ioQueueKey = DispatchSpecificKey<Bool>()

    struct Session {
        var accountID: String?
        var tokens: RefreshingTokenSource?
        var client: BitbucketClient?
        var ledger: RequestLedger?
        var listener: LoopbackRedirectListener?
        var listenerTask: Task<Void, Never>?
        var repositoriesTask: Task<Void, Never>?
        /// The consumer saved on the setup screen, used instead of the services' failed one.
        var configuration: OAuthConfiguration?
        /// The clones running, one task per `c`.
        var cloneTasks: [Task<Void, Never>] = []
    }

    /// Creates a runner; `send` delivers actions to the program (from any thread).
    public init(services: AppServices, send: @escaping @Sendable (Action) -> Void) {
        self.services = services
        self.send = send
        io.setSpecific(key: Self.ioQueueKey, value: true)
    }

    /// Starts an effect. Returns at once; results arrive through `send`.
    public func run(_ effect: Effect) {
        switch effect {
        case .prepareLogin:
            Task { await prepareLogin() }
        case .exchange(let code, let request):
            Task { await exchange(code: code, request: request) }
        case .setUpConsumer(let key, let secret):
            Task { await setUpConsumer(key: key, secret: secret) }
        case .logInWithAPIToken(let email, let token):
            Task { await logIn(email: email, apiToken: token) }
        case .stopListener:
            Task { await stopListener() }
        case .approveDemo(let url):
            Task { await approveDemo(url) }
        case .fetchUser, .fetchEmails, .fetchWorkspaces, .fetchRepositories, .fetchWorkspaceDetails, .fetchSSHKeys:
            runFetch(effect)
        case .cancelRepositories:
            session.withLock { $0.repositoriesTask?.cancel() }
        case .openURL(let url):
            io.async {
                self.send(.opened(error: self.services.system.openInBrowser(url)))
            }
        case .writeURLFile(let url):
            io.async {
                self.send(
                    .wroteURL(
                        self.services.system.writePrivateFile(
                            self.services.paths.configDirectory + "/login-url.txt", contents: url + "\n")))
            }
        case .removeFile(let path):
            io.async { _ = unlink(path) }
        case .listAccounts, .switchAccount, .logout:
            runAccountEffect(effect)
        case .clone(let repositories, let preferSSH):
            io.async { self.startClones(repositories, preferSSH: preferSSH) }
        case .saveFilterHistory(let history):
            io.async {
                guard let accountID = self.session.withLock({ $0.accountID }) else { return }
                try? self.services.cache?.put(
                    history, key: CacheKeys.filterHistory, accountID: accountID, fetchedAt: self.services.now())
            }
        case .runCommand(let command, let repository):
            // The foreground ones are the program's (they take the terminal).
            guard command.background else { break }
            let arguments = commandArguments(command, repository)
            let thread = Thread {
                switch arguments {
                case .failure(let reason): self.send(.commandFinished(title: command.title, .refused(reason.message)))
                case .success(let arguments):
                    self.send(
                        .commandFinished(
                            title: command.title, CustomCommandRunner.run(arguments, foreground: false)))
                }
            }
            thread.start()
        case .cancelClones:
            session.withLock { session in
                for task in session.cloneTasks { task.cancel() }
            }
        case .copy, .showPlainly, .showText, .setMouse, .suspend, .redraw, .quit:
            break
        }
    }

    /// A pane's fetch: through the account's session, its result cached on the I/O queue.
    private func runFetch(_ effect: Effect) {
        switch effect {
        case .fetchUser:
            fetch(failure: { .userLoaded(.failure($0), at: $1) }) { client, now in
                .userLoaded(await Self.result { try await client.currentUser() }, at: now())
            } cache: { action, accountID in
                if case .userLoaded(.success(let user), let at) = action {
                    try? self.services.cache?.put(user, key: CacheKeys.user, accountID: accountID, fetchedAt: at)
                }
            }
        case .fetchEmails:
            fetch(failure: { .emailsLoaded(.failure($0), at: $1) }) { client, now in
                .emailsLoaded(await Self.result { try await client.emails() }, at: now())
            } cache: { action, accountID in
                if case .emailsLoaded(.success(let emails), let at) = action {
                    try? self.services.cache?.put(emails, key: CacheKeys.emails, accountID: accountID, fetchedAt: at)
                }
            }
        case .fetchWorkspaces:
            fetch(failure: { .workspacesLoaded(.failure($0), at: $1) }) { client, now in
                .workspacesLoaded(await Self.result { try await client.workspaces() }, at: now())
            } cache: { action, accountID in
                if case .workspacesLoaded(.success(let workspaces), let at) = action {
                    try? self.services.cache?.put(
                        workspaces, key: CacheKeys.workspaces, accountID: accountID, fetchedAt: at)
                }
            }
        case .fetchRepositories(let workspaces):
            fetchRepositories(workspaces)
        case .fetchWorkspaceDetails(let workspaces):
            // Counts come from the repositories listing: no request per workspace for them here.
            fetch(failure: { .workspaceDetailsLoaded(.failure($0), at: $1) }) { client, now in
                .workspaceDetailsLoaded(
                    await Self.result { try await client.workspaceDetails(workspaces, counts: false) }, at: now())
            } cache: { action, accountID in
                if case .workspaceDetailsLoaded(.success(let details), let at) = action {
                    try? self.services.cache?.put(
                        details, key: CacheKeys.workspaceDetails, accountID: accountID, fetchedAt: at)
                }
            }
        case .fetchSSHKeys:
            let system = services.system
            fetch(failure: { .sshKeysLoaded(.failure($0), at: $1) }) { client, now in
                let user = self.session.withLock { $0.accountID } ?? ""
                // This machine's keys are read off the UI thread, while the account's arrive.
                async let local = Task.detached { system.localKeys() }.value
                let result = await Self.result { try await client.sshKeys(user: user) }
                let found = await local
                return .sshKeysLoaded(result.map { SSHKeyReport(accountKeys: $0, local: found, now: now()) }, at: now())
            } cache: { action, accountID in
                if case .sshKeysLoaded(.success(let report), let at) = action {
                    try? self.services.cache?.put(report, key: CacheKeys.sshKeys, accountID: accountID, fetchedAt: at)
                }
            }
        default:
            break
        }
    }

    /// The accounts overlay's effects, on the I/O queue (they touch the store).
    private func runAccountEffect(_ effect: Effect) {
        switch effect {
        case .listAccounts:
            io.async {
                do {
                    let accounts = try self.services.accounts.accounts()
                    self.send(
                        .accountsListed(
                            accounts.map(self.services.summary), activeID: accounts.first { $0.isActive }?.id))
                } catch {
                    self.send(.failed(AppError(error)))
                }
            }
        case .switchAccount(let id):
            io.async {
                do {
                    try self.services.accounts.activate(accountID: id)
                    self.resetSession()
                    self.send(.accountChanged(try self.services.accounts.activeAccount().map(self.services.record)))
                } catch {
                    self.send(.failed(AppError(error)))
                }
            }
        case .logout(let id):
            io.async {
                do {
                    try self.services.accounts.remove(accountID: id)
                    try? self.services.cache?.clear(accountID: id)
                    self.resetSession()
                    self.send(.accountChanged(try self.services.accounts.activeAccount().map(self.services.record)))
                } catch {
                    self.send(.failed(AppError(error)))
                }
            }
        default:
            break
        }
    }

    /// A refusal in words (a `Result` failure).
    struct Refusal: Error {
        var message: String
    }

    /// A `[[commands]]` entry's arguments for `repository`: each placeholder filled whole.
    func commandArguments(_ command: CustomCommand, _ repository: Repository?) -> Result<[String], Refusal> {
        var cloneDirectory: String?
        if let repository, command.usedPlaceholders.contains("clone_dir"), let cloning = services.cloning,
            let account = try? services.accounts.activeAccount()
        {
            let planner = ClonePlanner(
                directoryTemplate: cloning.directoryTemplate, workingDirectory: cloning.workingDirectory,
                home: cloning.home, gitHost: GitHost(apiURL: account.configuration.apiURL),
                credentialHelper: cloning.credentialHelper)
            cloneDirectory = try? planner.target(workspace: repository.workspaceSlug, slug: repository.slug)
        }
        let values = repository.map { CustomCommandRunner.values(for: $0, cloneDirectory: cloneDirectory) } ?? [:]
        do {
            return .success(try command.arguments(values))
        } catch {
            guard case .missing(let name) = error else { return .failure(Refusal(message: "\(error)")) }
            return .failure(Refusal(message: CustomCommandRunner.missing(name, repository)))
        }
    }

    /// Cancels everything in flight (on quit).
    public func shutdown() async {
        let (repositories, listenerTask, clones) = session.withLock {
            ($0.repositoriesTask, $0.listenerTask, $0.cloneTasks)
        }
        repositories?.cancel()
        listenerTask?.cancel()
        // Clones stop, and what they wrote is removed before the process ends.
        for clone in clones { clone.cancel() }
        for clone in clones { await clone.value }
        await stopListener()
    }

    // MARK: - Cloning

    /// Plans the clones (refusing a repository whose names cannot be a directory), then runs
    /// them a few at once, reporting git's progress (only when it changes).
    private func startClones(_ repositories: [Repository], preferSSH: Bool) {
        let refuse = { (message: String) in
            for repository in repositories {
                self.send(.cloneEvent(.finished(fullName: repository.fullName, .failed(message))))
            }
        }
        guard let cloning = services.cloning else { return refuse("Cloning is not available here.") }
        let account: StoredAccount
        do {
            guard let active = try services.accounts.activeAccount() else { return refuse("Not logged in.") }
            account = active
        } catch {
            return refuse("The token store could not be read: \(error)")
        }
        let planner = ClonePlanner(
            directoryTemplate: cloning.directoryTemplate, workingDirectory: cloning.workingDirectory,
            home: cloning.home, gitHost: GitHost(apiURL: account.configuration.apiURL),
            credentialHelper: cloning.credentialHelper)
        let over = cloning.forcedProtocol ?? (preferSSH ? .ssh : .https)
        var jobs: [CloneJob] = []
        for repository in repositories {
            do {
                jobs.append(try planner.job(for: repository, over: over))
            } catch {
                send(.cloneEvent(.finished(fullName: repository.fullName, .failed(error.message))))
            }
        }
        guard !jobs.isEmpty else { return }
        send(.clonesPlanned(jobs))
        let lastSent = Mutex<[String: CloneProgress]>([:])
        let task = Task {
            _ = await Cloner.run(jobs, limit: cloning.limit, environment: cloning.environment) { event in
                if case .progress(let name, let progress) = event,
                    lastSent.withLock({ $0.updateValue(progress, forKey: name) }) == progress
                {
                    return
                }
                self.send(.cloneEvent(event))
            }
        }
        session.withLock { $0.cloneTasks.append(task) }
    }

    // MARK: - Login

    private func prepareLogin() async {
        let configuration: OAuthConfiguration
        switch currentConfiguration() {
        case .success(let value): configuration = value
        case .failure(let error):
            if services.consumerSetup != nil {
                send(.setupNeeded(reason: error.description, callbackURL: services.listenerRedirectURI.absoluteString))
            } else {
                send(.loginFailed(error))
            }
            return
        }
        await stopListener()
        let request = AuthorizationRequest.make(configuration: configuration)
        let redirect = configuration.redirectURI ?? services.listenerRedirectURI
        let status: LoginState.Listener
        do {
            let listener = try await LoopbackRedirectListener.start(redirectURI: redirect, expectedState: request.state)
            status = .listening(port: listener.port)
            // Every redirect of this attempt (a refusal, then an approval) reaches the screen;
            // the listener has already dropped those of other attempts.
            let task = Task { [send] in
                while let query = try? await listener.nextRedirect() { send(.redirectReceived(query)) }
            }
            session.withLock {
                $0.listener = listener
                $0.listenerTask = task
            }
        } catch {
            status = .unavailable(error.description)
        }
        send(.loginPrepared(request, listener: status))
    }

    /// The consumer saved on the setup screen, else the one the program started with.
    private func currentConfiguration() -> Result<OAuthConfiguration, AppError> {
        session.withLock({ $0.configuration }).map(Result.success) ?? services.configuration
    }

    /// Checks and saves a consumer's Key and Secret; once saved, the next login uses them.
    private func setUpConsumer(key: String, secret: String) async {
        guard let setUp = services.consumerSetup else { return }
        let outcome = await setUp(key, secret)
        if case .saved(_, let configuration) = outcome { session.withLock { $0.configuration = configuration } }
        send(.consumerSetUp(outcome))
    }

    /// An API token login: checked with `GET /user`, stored, then the browser opens as after
    /// any login.
    private func logIn(email: String, apiToken: String) async {
        let apiURL: URL
        switch services.apiURL {
        case .success(let url): apiURL = url
        case .failure(let error):
            send(.apiTokenFailed(error.description))
            return
        }
        do {
            let login = try await services.sessions.completeLogin(apiToken: apiToken, email: email, apiURL: apiURL)
            await stopListener()
            await loggedIn(login)
        } catch let refused as APITokenRefused {
            send(.apiTokenFailed(refused.description))
        } catch {
            send(.apiTokenFailed(AppError(error).description))
        }
    }

    /// Does what a browser would on the demo's authorize URL: follows it to the callback, and
    /// hands the redirect's query to the login like the listener does.
    private func approveDemo(_ url: String) async {
        do {
            guard let target = URL(string: url), let location = try await services.sessions.redirect(from: target),
                let question = location.firstIndex(of: "?")
            else {
                send(.loginFailed(.other("The demo's Bitbucket did not redirect to the callback.")))
                return
            }
            send(.redirectReceived(String(location[location.index(after: question)...])))
        } catch {
            send(.loginFailed(AppError(error)))
        }
    }

    private func stopListener() async {
        let (listener, task) = session.withLock { session -> (LoopbackRedirectListener?, Task<Void, Never>?) in
            defer {
                session.listener = nil
                session.listenerTask = nil
            }
            return (session.listener, session.listenerTask)
        }
        task?.cancel()
        await listener?.stop()
    }

    private func exchange(code: String, request: AuthorizationRequest) async {
        let configuration: OAuthConfiguration
        switch currentConfiguration() {
        case .success(let value): configuration = value
        case .failure(let error):
            send(.loginFailed(error))
            return
        }
        let listener = session.withLock { $0.listener }
        do {
            let login = try await services.sessions.completeLogin(
                code: code, request: request, configuration: configuration)
            listener?.finish(code: code, .loggedIn(login.user.displayName))
            await loggedIn(login)
        } catch {
            let failure = AppError(error)
            listener?.finish(code: code, .failed(failure.description))
            send(.loginFailed(failure))
        }
    }

    /// After any login: a fresh session, the profile cached, and the account's record to the
    /// program.
    private func loggedIn(_ login: LoginCompletion.Result) async {
        resetSession()
        let now = services.now()
        let record = await onIO {
            try? self.services.cache?.put(login.user, key: CacheKeys.user, accountID: login.account.id, fetchedAt: now)
            return self.services.record(for: login.account)
        }
        send(.loginSucceeded(record, user: login.user, at: now))
    }

    /// Runs blocking work on the I/O queue and awaits its result.
    private func onIO<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            io.async { continuation.resume(returning: body()) }
        }
    }

    // MARK: - Data

    private func resetSession() {
        session.withLock { session in
            session.repositoriesTask?.cancel()
            session.repositoriesTask = nil
            session.accountID = nil
            session.tokens = nil
            session.client = nil
        }
    }

    /// What the consumer has spent of the hour's repository requests, read on the I/O queue.
    private func reportUsage() {
        guard let ledger = session.withLock({ $0.ledger }) else { return }
        io.async { [send] in send(.requestUsage(ledger.usage())) }
    }

    /// The client for the active account, made once per account.
    /// The store is read on the I/O queue: a pool thread must never wait on its busy timeout.
    private func client() async throws -> (BitbucketClient, RefreshingTokenSource, String) {
        let existing = session.withLock { state in
            state.client.flatMap { client in state.tokens.map { (client, $0, state.accountID ?? "") } }
        }
        if let existing { return existing }
        let accounts = services.accounts
        let active = try await withCheckedThrowingContinuation { continuation in
            io.async { continuation.resume(with: Result { try accounts.activeAccount() }) }
        }
        guard let account = active else {
            throw AppError.oauth(.loginRequired("No account is logged in."))
        }
        let made = services.sessions.session(
            for: account,
            onRetry: { [send] notice in
                send(.retrying(status: notice.status, delay: notice.delay))
            })
        let (tokens, client, ledger) = (made.tokens, made.client, made.ledger)
        session.withLock { session in
            session.accountID = account.id
            session.tokens = tokens
            session.client = client
            session.ledger = ledger
        }
        return (client, tokens, account.id)
    }

    /// Runs a fetch with the active account's client; `failure` turns a missing client (no
    /// account, unreadable store) into the pane's own failure, so no pane is left loading.
    private func fetch(
        failure: @escaping @Sendable (AppError, Date) -> Action,
        _ body: @escaping @Sendable (BitbucketClient, @escaping @Sendable () -> Date) async -> Action,
        cache: @escaping @Sendable (Action, String) -> Void
    ) {
        Task {
            do {
                let (client, tokens, accountID) = try await client()
                let action = await body(client, services.now)
                send(action)
                io.async { cache(action, accountID) }
                send(.tokenExpiryChanged(await tokens.currentToken.expiresAt))
            } catch {
                send(failure(AppError(error), services.now()))
            }
        }
    }

    private func fetchRepositories(_ workspaces: [Workspace]) {
        let task = Task {
            do {
                let (client, tokens, accountID) = try await client()
                // A refresh starts from the last complete listing (with what an incomplete one
                // since got whole) and asks only for what changed.
                let cache = services.cache
                let (complete, progress) = await withCheckedContinuation { continuation in
                    io.async {
                        continuation.resume(
                            returning: (
                                cache?.get(CacheKeys.repositories, accountID: accountID)?
                                    .value,
                                cache?.get(CacheKeys.repositoriesProgress, accountID: accountID)?
                                    .value
                            ))
                    }
                }
                let previous = RepositorySnapshot.start(complete: complete, progress: progress)
                var listing = RepositoryListing()
                do {
                    for try await batch in client.repositories(in: workspaces, previous: previous) {
                        try Task.checkCancellation()
                        listing.absorb(batch)
                        send(.repositoriesBatch(batch))
                    }
                    let now = services.now()
                    send(.repositoriesFinished(nil, at: now))
                    reportUsage()
                    let writes = listing.cacheWrites(
                        workspaces: workspaces.map(\.slug), complete: complete, hadProgress: progress != nil)
                    io.async {
                        for write in writes {
                            switch write {
                            case .touchComplete:
                                try? cache?.touch(CacheKeys.repositories, accountID: accountID, fetchedAt: now)
                            case .putComplete(let snapshot):
                                try? cache?.put(
                                    snapshot, key: CacheKeys.repositories, accountID: accountID, fetchedAt: now)
                            case .putProgress(let whole):
                                try? cache?.put(
                                    whole, key: CacheKeys.repositoriesProgress, accountID: accountID, fetchedAt: now)
                            case .removeProgress:
                                try? cache?.remove(CacheKeys.repositoriesProgress, accountID: accountID)
                            }
                        }
                    }
                    // A listing leaves freed page bodies and batches behind in the heap; hand
                    // them back to the system rather than keep them as resident memory.
                    io.async { _ = releaseFreeHeap(0) }
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    send(.repositoriesFinished(AppError(error), at: services.now()))
                    reportUsage()
                }
                send(.tokenExpiryChanged(await tokens.currentToken.expiresAt))
            } catch {
                send(.repositoriesFinished(AppError(error), at: services.now()))
            }
        }
        session.withLock { session in
            session.repositoriesTask?.cancel()
            session.repositoriesTask = task
        }
    }

    static func result<T>(_ body: () async throws -> T) async -> Result<T, AppError> {
        do {
            return .success(try await body())
        } catch {
            return .failure(AppError(error))
        }
    }
}

/// glibc's `malloc_trim` (in <malloc.h>, which the Glibc module leaves out): returns free heap
/// pages to the system.
@_silgen_name("malloc_trim")
private func releaseFreeHeap(_ pad: Int) -> Int32
