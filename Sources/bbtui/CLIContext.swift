import App
import ArgumentParser
import BitbucketKit
import Foundation
import TerminalUI

/// What every script-facing command needs: settings, the store, and the active account's client.
struct CLIContext {
    let environment: [String: String]
    let settings: Settings
    let store: TokenStore
    let transport: AsyncHTTPClientTransport

    /// Loads settings and opens the store; failures become a message on stderr and exit 1.
    static func load() throws -> CLIContext {
        umask(0o077)
        let environment = ProcessInfo.processInfo.environment
        do {
            let settings = try Settings.load(environment: environment)
            let store = try TokenStore(paths: settings.paths)
            for notice in store.notices { printError("bbtui: \(notice)") }
            return CLIContext(environment: environment, settings: settings, store: store, transport: AsyncHTTPClientTransport(environment: environment))
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

    /// A refreshing token source and API client for an account.
    func session(for account: StoredAccount) -> (RefreshingTokenSource, BitbucketClient) {
        let tokens = RefreshingTokenSource(account: account, store: store, client: TokenClient(configuration: account.configuration, transport: transport))
        let retrying = RetryingTransport(transport, onRetry: { notice in
            printError("bbtui: \(notice.status.map { "HTTP \($0)" } ?? "network error"); retrying in \(max(1, notice.delay.components.seconds)) s")
        })
        let client = BitbucketClient(transport: AuthorizedTransport(base: retrying, tokens: tokens, apiURL: account.configuration.apiURL), apiURL: account.configuration.apiURL)
        return (tokens, client)
    }

    /// Maps a failure to a message and an exit status.
    static func fail(_ error: any Error) -> ExitCode {
        let appError = AppError(error)
        printError("bbtui: \(appError.description)")
        return ExitCode(appError.needsLogin ? ExitStatus.loginRequired : ExitStatus.failure)
    }
}

/// Writes text to standard output, unbuffered.
func printOut(_ text: String) {
    writeLine(text, to: STDOUT_FILENO)
}

/// A terminal-safe string for human output: network text never reaches the terminal raw.
func safe(_ text: String?) -> String {
    Sanitizer.sanitize(text ?? "")
}

/// Aligned columns by display width.
func table(_ header: [String], _ rows: [[String]]) -> String {
    // An all-empty header is a key-value listing: no header line.
    let all = header.allSatisfy(\.isEmpty) ? rows : [header] + rows
    let widths = header.indices.map { column in all.map { DisplayWidth.of($0[column]) }.max() ?? 0 }
    // Trailing blanks are trimmed; an empty value shows as a dash.
    return all.map { row in
        row.enumerated().map { index, cell in
            let shown = cell.isEmpty && index > 0 ? "-" : cell
            return index == row.count - 1 ? shown : TextLayout.pad(shown, to: widths[index])
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// JSON text with sorted keys, for stable script output.
func json(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
}
