import ArgumentParser
import BitbucketKit
import Foundation

/// `bbtui logout [--all]`.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Delete the active account's tokens from this machine (or every account's with --all).")

    @Flag(help: "Log out of every account.") var all = false

    func run() async throws {
        let context = try CLIContext.load()
        let cache = try? CacheStore(paths: context.settings.paths)
        do {
            if all {
                for account in try context.store.accounts() { try? cache?.clear(accountID: account.id) }
                try context.store.removeAll()
                printError(
                    "Logged out of every account. Access stays granted in Bitbucket until revoked there (Personal settings → OAuth)."
                )
                return
            }
            let account = try context.activeAccount()
            try context.store.remove(accountID: account.id)
            try? cache?.clear(accountID: account.id)
            printError(
                "Logged out of \(safe(account.username)). Access stays granted in Bitbucket until revoked there (Personal settings → OAuth)."
            )
            if let next = try context.store.activeAccount() {
                printError("Active account is now \(safe(next.username)).")
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
    }
}

/// `bbtui accounts`.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "List the stored accounts; * marks the active one.")

    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let context = try CLIContext.load()
        let accounts: [StoredAccount]
        do { accounts = try context.store.accounts() } catch { throw CLIContext.fail(error) }
        if json {
            struct Row: Encodable {
                var uuid: String, username: String, display_name: String, active: Bool, token_expires_at: Date,
                    api_url: String
            }
            printOut(
                bbtui.json(
                    accounts.map {
                        Row(
                            uuid: $0.id, username: $0.username, display_name: $0.displayName, active: $0.isActive,
                            token_expires_at: $0.token.expiresAt, api_url: $0.configuration.apiURL.absoluteString)
                    }))
            return
        }
        guard !accounts.isEmpty else {
            printError("No accounts. Run `bbtui login`.")
            throw ExitCode(ExitStatus.loginRequired)
        }
        printOut(
            table(
                ["", "USERNAME", "NAME", "UUID"],
                accounts.map { [$0.isActive ? "*" : "", safe($0.username), safe($0.displayName), safe($0.id)] }))
    }
}

/// `bbtui switch ACCOUNT`.
struct SwitchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switch", abstract: "Make another stored account the active one.")

    @Argument(
        help: "The account's username, display name or UUID.",
        completion: .custom { _, _, prefix in Completions.accounts(prefix: prefix) }) var account: String

    func run() async throws {
        let context = try CLIContext.load()
        do {
            guard let found = try context.store.findAccount(account) else {
                printError("bbtui: no stored account is called \(safe(account)). `bbtui accounts` lists them.")
                throw ExitCode(ExitStatus.failure)
            }
            try context.store.activate(accountID: found.id)
            printError("Active account: \(safe(found.username)).")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
    }
}

/// `bbtui status [--json] [--check]`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the active account, its token and the store.",
        discussion: """
            Without --check, the token is judged from the store alone (refreshed if it expired): a \
            token revoked in Bitbucket still looks usable. --check asks Bitbucket (one GET /user) and \
            reports what it answered. Exits 0 when logged in with a usable token, 3 when not logged \
            in or the token cannot be used or refreshed, 1 on other failures.
            """
    )

    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Ask Bitbucket whether the token works (one API request).") var check = false

    func run() async throws {
        let context = try CLIContext.load()
        let path = context.settings.paths.credentialsDatabase
        let mode = Self.mode(path)
        guard let account = try? context.store.activeAccount() else {
            if json {
                struct Out: Encodable { var logged_in: Bool, store: String, store_mode: String }
                printOut(bbtui.json(Out(logged_in: false, store: path, store_mode: mode)))
            } else {
                printOut(
                    table(["", ""], [["Logged in", "no (run `bbtui login`)"], ["Store", path + " (" + mode + ")"]]))
            }
            throw ExitCode(ExitStatus.loginRequired)
        }
        let session = try context.session(for: account)
        let checks = check
        var problem: (message: String, status: Int32)?
        var token = account.token
        do {
            token = try await context.withinDeadline {
                if checks { _ = try await session.client.currentUser() }
                return try await session.tokens.token()
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            problem = CLIContext.message(for: error)
        }
        let usable = problem == nil
        // With --check, each pane's endpoint too: a missing permission is named with its box.
        let panes = usable && check ? await PermissionReport.check(session.client).lines : []
        let usage = session.ledger?.usage()
        if json {
            struct Out: Encodable {
                var logged_in: Bool, uuid: String, username: String, display_name: String, token_expires_at: Date
                var token_usable: Bool, token_checked: Bool, scopes: [String], api_url: String, store: String,
                    store_mode: String
                var requests_this_hour: Int?, request_limit: Int?, requests_free_at: Date?, error: String?
                var panes: [Pane]?
            }
            struct Pane: Encodable {
                var pane: String, endpoint: String, works: Bool, missing_scopes: [String]?, detail: String
            }
            printOut(
                bbtui.json(
                    Out(
                        logged_in: true, uuid: account.id, username: account.username,
                        display_name: account.displayName, token_expires_at: token.expiresAt, token_usable: usable,
                        token_checked: check, scopes: token.scopes,
                        api_url: account.configuration.apiURL.absoluteString, store: path, store_mode: mode,
                        requests_this_hour: usage?.used, request_limit: usage?.limit,
                        requests_free_at: usage?.nextFreeAt, error: problem?.message,
                        panes: check && usable
                            ? panes.map { line in
                                var missing: [String]?
                                if case .missing(let required, _) = line.outcome { missing = required }
                                return Pane(
                                    pane: line.pane, endpoint: line.endpoint, works: line.outcome == .works,
                                    missing_scopes: missing, detail: PermissionReport.describe(line.outcome))
                            } : nil)))
        } else {
            let expiry = Format.countdown(to: token.expiresAt, now: Date())
            let tokenText: String
            switch (usable, check) {
            case (true, true) where token.isAPIToken:
                tokenText = "an API token, and Bitbucket accepted it (never refreshed: when it expires, make a new one)"
            case (true, false) where token.isAPIToken:
                tokenText = "an API token (not checked with Bitbucket: use --check)"
            case (true, true): tokenText = "valid (Bitbucket accepted it), expires \(expiry) (refreshed automatically)"
            case (true, false):
                tokenText = "valid by its expiry, expires \(expiry) (not checked with Bitbucket: use --check)"
            case (false, _): tokenText = "not usable"
            }
            printOut(
                table(
                    ["", ""],
                    [
                        ["Account", "\(safe(account.displayName)) (\(safe(account.username)))"],
                        ["Token", tokenText],
                        ["Scopes", token.scopes.joined(separator: ", ")],
                        ["API", account.configuration.apiURL.absoluteString],
                        ["Requests", usage.map { Self.describe($0) } ?? "not counted"],
                        ["Store", path + " (" + mode + ")"],
                    ] + panes.map { ["Pane: " + $0.pane, safe(PermissionReport.describe($0.outcome))] }))
        }
        if let problem {
            printError("bbtui: \(problem.message)")
            throw ExitCode(problem.status)
        }
    }

    /// "57 of 1000 repository requests this hour (bbtui's count; the oldest ages out in 12 min)".
    static func describe(_ usage: RequestLedger.Usage) -> String {
        var text = "\(usage.used) of \(usage.limit) repository requests this hour (bbtui's own count"
        if let free = usage.nextFreeAt, usage.used > 0 {
            text += "; the oldest ages out in \(max(1, Int((free.timeIntervalSinceNow / 60).rounded(.up)))) min"
        }
        return text + ")"
    }

    static func mode(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "missing" }
        return "0" + String(info.st_mode & 0o777, radix: 8)
    }
}

/// `bbtui token`: the one command that prints a token, on purpose.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a valid access token (refreshed if needed) for curl and scripts.",
        discussion: """
            The token is checked with Bitbucket first (one GET /user): a revoked token is never \
            printed; it is refreshed, or the command exits 3. --no-check skips the request and says \
            on standard error that the token was not checked. \
            Example: curl -H "Authorization: Bearer $(bbtui token)" https://api.bitbucket.org/2.0/user
            """
    )

    @Flag(name: .customLong("no-check"), help: "Do not ask Bitbucket whether the token works.") var noCheck = false

    func run() async throws {
        let context = try CLIContext.load()
        let account = try context.activeAccount()
        let session = try context.session(for: account)
        let checks = !noCheck
        do {
            let token = try await context.withinDeadline {
                // The check goes through the authorized transport: a rejected token is refreshed
                // once, and the token printed is the one Bitbucket accepted.
                if checks { _ = try await session.client.currentUser() }
                return try await session.tokens.token()
            }
            if !checks {
                printError(
                    "bbtui: the token was not checked with Bitbucket (--no-check); it is valid by its expiry time only."
                )
            }
            printOut(token.accessToken)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
    }
}
