import ArgumentParser
import BitbucketKit
import Foundation
import Synchronization
import TerminalUI

/// What every script-facing command needs: settings, the store, and the active account's client.
struct CLIContext {
    let environment: [String: String]
    let settings: Settings
    let store: TokenStore
    let transport: AsyncHTTPClientTransport
    /// The limit on the whole command (`BBTUI_COMMAND_TIMEOUT`).
    let commandTimeout: Duration
    /// The consumer's hourly limit on repository requests (`BBTUI_REQUEST_LIMIT`).
    let requestLimit: Int

    /// Loads settings and opens the store; failures become a message on stderr and exit 1.
    static func load() throws -> CLIContext {
        umask(0o077)
        let environment = ProcessInfo.processInfo.environment
        do {
            let settings = try Settings.load(environment: environment)
            let requestTimeout = try settings.requestTimeout()
            let commandTimeout = try settings.commandTimeout()
            let requestLimit = try settings.requestLimit()
            let store = try TokenStore(paths: settings.paths)
            for notice in store.notices { printError("bbtui: \(notice)") }
            let transport = AsyncHTTPClientTransport(
                environment: environment, connectTimeout: min(.seconds(5), requestTimeout),
                requestTimeout: requestTimeout)
            return CLIContext(
                environment: environment, settings: settings, store: store, transport: transport,
                commandTimeout: commandTimeout, requestLimit: requestLimit)
        } catch {
            printError("bbtui: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// The active account, or exit 3 with what to do.
    func activeAccount() throws -> StoredAccount {
        let account: StoredAccount?
        do {
            account = try store.activeAccount()
        } catch {
            printError("bbtui: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        guard let account else {
            printError("bbtui: not logged in. Run `bbtui login` (or `bbtui login --no-tui` without a terminal).")
            throw ExitCode(ExitStatus.loginRequired)
        }
        return account
    }

    /// The account's session; retries are announced on stderr, once per cause (twelve pages
    /// in flight retrying the same 429 make one line, not thirty).
    func session(for account: StoredAccount) throws -> AccountSession {
        do {
            try settings.checkEndpoints(for: account)
        } catch {
            printError("bbtui: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        let announced = Mutex<Set<String>>([])
        return AccountSession(
            account: account, store: store, transport: transport,
            ledger: AccountSession.ledger(for: account, paths: settings.paths, limit: requestLimit),
            onRetry: { notice in
                let cause =
                    notice.status.map { $0 == 429 ? "HTTP 429 (rate limited)" : "HTTP \($0)" } ?? "a network error"
                guard announced.withLock({ $0.insert(cause).inserted }) else { return }
                printError("bbtui: \(cause); retrying with backoff")
            })
    }

    /// Runs the command's network work within `BBTUI_COMMAND_TIMEOUT`; past it, says so and
    /// exits 1 rather than waiting on a server that never finishes.
    func withinDeadline<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let seconds = commandTimeout.components.seconds
        do {
            return try await Deadline.run(within: commandTimeout, timeout: { CommandTimeout(seconds: seconds) }, body)
        } catch let timeout as CommandTimeout {
            printError(
                "bbtui: gave up after \(timeout.seconds) s: the command did not finish within BBTUI_COMMAND_TIMEOUT. Check the network, or raise the limit."
            )
            throw ExitCode(ExitStatus.failure)
        }
    }

    /// The command-line wording of a failure (facts plus the next step a script user can take)
    /// and its exit status.
    static func message(for error: any Error) -> (message: String, status: Int32) {
        let appError = ServiceError(error)
        if appError.needsLogin {
            return (
                appError.description
                    + (appError.description.hasSuffix("Log in again.")
                        ? " Run `bbtui login`." : " Log in again with `bbtui login`."),
                ExitStatus.loginRequired
            )
        }
        let next =
            appError.isRetryableLater
            ? " Run the command again in a few minutes." : (appError.isTransient ? " Run the command again." : "")
        return (appError.description + next, ExitStatus.failure)
    }

    /// Prints a failure and returns the exit it maps to.
    static func fail(_ error: any Error) -> ExitCode {
        let (message, status) = message(for: error)
        printError("bbtui: \(message)")
        return ExitCode(status)
    }
}

/// The whole command ran past `BBTUI_COMMAND_TIMEOUT`.
struct CommandTimeout: Error {
    var seconds: Int64
}
