import ArgumentParser
import BitbucketKit
import Foundation

/// `bbtui login [--no-tui]`.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to Bitbucket Cloud (adds an account).",
        discussion: """
            With --no-tui: prints the authorization URL alone on one line of standard output, then \
            reads lines from standard input (the code, or the whole redirect URL; a line that is not \
            one is explained and the next is read) while also accepting the browser's redirect on the \
            loopback callback: the first valid answer wins at once. Prompts and messages go to \
            standard error. A code Bitbucket refuses (expired, spent) is explained and the same URL \
            stays good: approve it again. Exits 0 once the account is stored; 1 when standard input \
            closes after only unusable lines, when the URL is ten minutes old with no usable answer, \
            or the exchange fails otherwise.
            """
    )

    @Flag(name: .customLong("no-tui"), help: "Log in without the full-screen interface (scripts, dumb terminals).")
    var noTUI = false

    @Flag(
        name: .customLong("api-token"),
        help: "Log in with an Atlassian API token instead of OAuth (the token from standard input, or typed unseen).")
    var apiToken = false

    @Option(help: "With --api-token: your Atlassian account's email (asked for when not given).")
    var email: String?

    func run() async throws {
        if apiToken { return try await logInWithAPIToken() }
        guard noTUI else {
            let status = await TUI.run(environment: ProcessInfo.processInfo.environment, startsWithLogin: true)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let context = try CLIContext.load()
        let configuration: OAuthConfiguration
        do { configuration = try context.settings.oauthConfiguration() } catch {
            printError("bbtui: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        let request = AuthorizationRequest.make(configuration: configuration)
        var listener: LoopbackRedirectListener?
        do {
            listener = try await LoopbackRedirectListener.start(
                redirectURI: configuration.redirectURI ?? context.settings.listenerRedirectURI,
                expectedState: request.state)
        } catch {
            printError("bbtui: \(error.description) Paste the code or the redirect URL instead.")
        }
        printOut(request.url.absoluteString)
        printError(
            "Open the URL above in any browser and approve. Then paste the code or the whole redirect URL here and press Enter"
                + (listener.map { " (or let the browser reach 127.0.0.1:\($0.port) — it is listening)" } ?? "") + ":")

        let requestMadeAt = Date()
        let answers = Self.answers(listener: listener, lifetime: .seconds(600))
        var linesRead = 0
        for await answer in answers {
            let text: String
            switch answer {
            case .line(let line):
                linesRead += 1
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                text = line
            case .redirect(let query):
                text = "?" + query
            case .expired:
                await listener?.stop()
                printError(
                    "bbtui: the login URL is ten minutes old and no usable answer arrived. Run `bbtui login --no-tui` again for a fresh one."
                )
                throw ExitCode(ExitStatus.failure)
            case .inputClosed:
                // A script that fed only unusable lines gets its answer now; with nothing fed at
                // all, the browser's redirect can still come (until the URL is ten minutes old).
                if listener == nil || linesRead > 0 {
                    await listener?.stop()
                    printError(
                        "bbtui: no usable code arrived before standard input closed. Run `bbtui login --no-tui` again and paste the redirect URL."
                    )
                    throw ExitCode(ExitStatus.failure)
                }
                printError(
                    "Standard input is closed; still waiting for the browser's redirect on 127.0.0.1:\(listener?.port ?? 0)."
                )
                continue
            }
            let code: String
            switch PastedAuthorization.code(from: text, expectedState: request.state) {
            case .success(let value): code = value
            case .failure(let problem):
                printError("bbtui: \(problem.description) Still waiting: paste again, or approve the URL above.")
                continue
            }
            do {
                let login = try await context.startup.sessions.completeLogin(
                    code: code, request: request, configuration: configuration)
                listener?.finish(code: code, .loggedIn(login.user.displayName))
                await listener?.stop()
                printError(
                    "Logged in as \(safe(login.user.displayName)) (\(safe(login.user.handle))). Tokens are in \(context.settings.paths.credentialsDatabase)."
                )
                await Self.reportMissingPermissions(login.account, context)
                return
            } catch OAuthError.codeRejected(let detail) where Date().timeIntervalSince(requestMadeAt) < 600 {
                // A spent or expired code: the request itself is still good, so approving the
                // same URL again gives a code that fits. Keep waiting.
                let message =
                    OAuthError.codeRejected(detail).description
                    + " The URL above is still good: approve it again in the browser and paste the new address."
                listener?.finish(code: code, .failed(message))
                printError("bbtui: \(message)")
                continue
            } catch {
                let failure = CLIContext.message(for: error)
                listener?.finish(code: code, .failed(failure.message))
                await listener?.stop()
                printError("bbtui: \(failure.message)")
                throw ExitCode(failure.status)
            }
        }
        await listener?.stop()
        throw ExitCode(ExitStatus.failure)
    }

    /// `--api-token`: the email and the token, checked with one `GET /user`, then stored.
    private func logInWithAPIToken() async throws {
        let context = try CLIContext.load()
        let apiURL: URL
        do { apiURL = try context.settings.apiURL() } catch {
            printError("bbtui: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        let stdinIsTerminal = isatty(0) == 1
        let terminal = email == nil || stdinIsTerminal ? PromptTerminal.open() : nil
        guard let email = email ?? terminal?.readLine(prompt: "Atlassian account email: ", echo: true) else {
            printError("bbtui: no terminal to ask on: give the email with --email and the API token on standard input.")
            throw ExitCode(ExitStatus.usage)
        }
        let token: String
        if stdinIsTerminal {
            terminal?.write("Make an API token for Bitbucket at \(OAuthError.apiTokenPage)\n")
            token = terminal?.readLine(prompt: "API token (not shown): ", echo: false) ?? ""
        } else {
            token = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
        }
        let trimmedEmail = email.trimmingCharacters(in: .whitespaces)
        guard trimmedEmail.contains("@"), !trimmedEmail.contains(" ") else {
            printError("bbtui: \"\(trimmedEmail)\" is not an email address. Nothing was stored.")
            throw ExitCode(ExitStatus.usage)
        }
        if let problem = ConsumerSetup.problem(with: token.trimmingCharacters(in: .whitespaces), named: "API token") {
            printError("bbtui: \(problem). Nothing was stored.")
            throw ExitCode(ExitStatus.usage)
        }
        do {
            let login = try await context.withinDeadline {
                try await context.startup.sessions.completeLogin(
                    apiToken: token.trimmingCharacters(in: .whitespaces), email: trimmedEmail, apiURL: apiURL)
            }
            printError(
                "Logged in as \(safe(login.user.displayName)) (\(safe(login.user.handle))) with an API token. It is in \(context.settings.paths.credentialsDatabase); it is never refreshed: when it expires, make a new one."
            )
            await Self.reportMissingPermissions(login.account, context)
        } catch let refused as APITokenRefused {
            printError("bbtui: \(refused.description)")
            throw ExitCode(ExitStatus.failure)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
    }

    /// After a login, each pane's endpoint once (the repositories from the token's scopes, so a
    /// login spends none of the hour's repository requests): a permission the login lacks is
    /// named now, with its fix, rather than when its pane is first opened.
    static func reportMissingPermissions(_ account: StoredAccount, _ context: CLIContext) async {
        let report = await PermissionReport.check(
            context.startup.sessions.probeClient(for: account), readsRepositories: false,
            grantedScopes: account.token.scopes)
        for line in report.lines where line.outcome.isMissing {
            printError(
                "bbtui: note: the \(line.pane) pane will not work: \(PermissionReport.describe(line.outcome)).")
        }
    }

    /// One thing that arrived for the login.
    enum Answer: Sendable {
        case line(String)
        case redirect(String)
        case inputClosed
        /// The authorization request is too old to be approved any more.
        case expired
    }

    /// Lines from standard input and the listener's redirects, in the order they arrive. Standard
    /// input is read on a thread of its own (a blocked read never holds a pool thread, and is
    /// simply abandoned when the login finishes first).
    static func answers(listener: LoopbackRedirectListener?, lifetime: Duration) -> AsyncStream<Answer> {
        AsyncStream { continuation in
            let timer = Task {
                try? await Task.sleep(for: lifetime)
                if !Task.isCancelled { continuation.yield(.expired) }
            }
            let thread = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(.line(line)) }
                continuation.yield(.inputClosed)
            }
            thread.start()
            let redirects = listener.map { listener in
                Task {
                    while let query = try? await listener.nextRedirect() { continuation.yield(.redirect(query)) }
                }
            }
            continuation.onTermination = { _ in
                timer.cancel()
                redirects?.cancel()
            }
        }
    }
}
