import App
import ArgumentParser
import BitbucketKit
import Foundation
import Synchronization
import TerminalUI

/// What every script-facing command needs: settings, the store, and the active account's client.
struct CLIContext {
    let environment: [String: String]
    let startup: Startup

    var settings: Settings { startup.settings }
    var store: TokenStore { startup.store }

    /// Loads settings and opens the store (`Startup`, as the TUI does); failures become a
    /// message on stderr and exit 1.
    static func load() throws -> CLIContext {
        let environment = ProcessInfo.processInfo.environment
        do {
            let startup = try Startup.load(environment: environment)
            // The `[keys]` and `[[commands]]` tables are checked by every command alike: a
            // mistake in them is a mistake in the file.
            _ = try Keymap(settings: startup.settings)
            for notice in startup.store.notices { printError("bbtui: \(notice)") }
            return CLIContext(environment: environment, startup: startup)
        } catch let mistake as ConfigurationError where mistake.isFileMistake {
            printError("bbtui: \(mistake)")
            throw ExitCode(ExitStatus.usage)
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
        return startup.sessions.session(
            for: account,
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
        let seconds = startup.commandTimeout.components.seconds
        do {
            return try await Deadline.run(
                within: startup.commandTimeout, timeout: { CommandTimeout(seconds: seconds) }, body)
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
        if appError.needsLogin, appError.description.contains("`bbtui login") {
            // The message already names the login to run (an API token's).
            return (appError.description, ExitStatus.loginRequired)
        }
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
