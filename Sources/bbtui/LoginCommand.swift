import App
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
        reads one line from standard input (the code, or the whole redirect URL) while also \
        accepting the browser's redirect on the loopback callback, whichever comes first. \
        Prompts and messages go to standard error. Exits 0 once the account is stored.
        """
    )

    @Flag(name: .customLong("no-tui"), help: "Log in without the full-screen interface (scripts, dumb terminals).") var noTUI = false

    func run() async throws {
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
            listener = try await LoopbackRedirectListener.start(redirectURI: configuration.redirectURI ?? context.settings.listenerRedirectURI)
        } catch {
            printError("bbtui: \(error.description)")
        }
        printOut(request.url.absoluteString)
        printError("Open the URL above in any browser and approve. Then paste the code or the whole redirect URL here and press Enter" + (listener.map { " (or let the browser reach 127.0.0.1:\($0.port) — it is listening)" } ?? "") + ":")

        let answer = await firstAnswer(listener: listener)
        await listener?.stop()
        guard let answer else {
            printError("bbtui: no code arrived (standard input closed). Run `bbtui login --no-tui` again and paste the redirect URL.")
            throw ExitCode(ExitStatus.failure)
        }
        let code: String
        switch PastedAuthorization.code(from: answer, expectedState: request.state) {
        case .success(let value): code = value
        case .failure(let problem):
            printError("bbtui: \(problem.description)")
            throw ExitCode(ExitStatus.failure)
        }
        do {
            let token = try await TokenClient(configuration: configuration, transport: context.transport).exchange(code: code, for: request)
            let probe = BitbucketClient(transport: AuthorizedTransport(base: context.transport, tokens: StaticTokenSource(token), apiURL: configuration.apiURL), apiURL: configuration.apiURL)
            let user = try await probe.currentUser()
            try context.store.save(StoredAccount(id: user.uuid, username: user.handle, displayName: user.displayName, configuration: configuration, token: token))
            printError("Logged in as \(safe(user.displayName)) (\(safe(user.handle))). Tokens are in \(context.settings.paths.credentialsDatabase).")
        } catch {
            let appError = AppError(error)
            printError("bbtui: \(appError.description)")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// A line from standard input, or the listener's redirect (as `?query`), whichever is first.
    private func firstAnswer(listener: LoopbackRedirectListener?) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await Self.readLineOffThread() }
            if let listener {
                group.addTask { (try? await listener.nextRedirect()).map { "?" + $0 } }
            }
            var pending = listener == nil ? 1 : 2
            while let result = await group.next() {
                pending -= 1
                if let result {
                    group.cancelAll()
                    return result
                }
                // Standard input closed: keep waiting for the browser if it can still come.
                if pending == 0 { break }
            }
            return nil
        }
    }

    /// Reads one line on a thread of its own, so a blocked stdin never holds a pool thread.
    private static func readLineOffThread() async -> String? {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: readLine(strippingNewline: true)) }
            thread.start()
        }
    }
}
