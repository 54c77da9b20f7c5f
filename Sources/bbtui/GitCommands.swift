import ArgumentParser
import BitbucketKit
import Foundation
import Synchronization

/// `bbtui git-credential get|store|erase`: git's credential helper for the stored login.
struct GitCredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-credential",
        abstract: "Answer git's credential requests with the stored login (git runs this; see setup-git).",
        discussion: """
            Speaks git's credential-helper protocol on stdin and stdout. For the stored account's \
            git host only (https://bitbucket.org, or the emulator's), `get` answers \
            username=x-token-auth and a fresh access token, refreshed under the store's lock \
            (x-bitbucket-api-token-auth and the token for an API-token login). For any other host \
            it answers nothing, so git asks its next helper. `store` and `erase` change nothing.
            """
    )

    @Argument(help: "get, store or erase (git passes it).") var operation: String

    func validate() throws {
        guard ["get", "store", "erase"].contains(operation) else {
            throw ValidationError("The operation must be get, store or erase, not '\(operation)'.")
        }
    }

    func run() async throws {
        var text = ""
        while let line = readLine(strippingNewline: true) {
            if line.isEmpty { break }
            text += line + "\n"
        }
        // git reports what it used or refused; bbtui's store is never changed by git.
        guard operation == "get" else { return }
        let query = GitCredential.parse(text)
        let context = try CLIContext.load()
        let accounts: [StoredAccount]
        do { accounts = try context.store.accounts() } catch { throw CLIContext.fail(error) }
        // The cache is opened only when several accounts share the host (git runs this for
        // every fetch: one account needs no more than the store).
        var cache: CacheStore??
        let chosen = GitCredential.account(for: query, among: accounts) { account in
            if cache == nil { cache = .some(try? CacheStore(paths: context.settings.paths)) }
            return cache??.get(CacheStore.Key.workspaces, accountID: account.id)?.value.map(\.slug)
        }
        guard let account = chosen else { return }
        let session = try context.session(for: account)
        let token: Token
        do {
            token = try await context.withinDeadline { try await session.tokens.token() }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
        guard let answer = GitCredential.answer(token: token) else {
            printError("bbtui: the stored token cannot be passed to git (it contains a line break).")
            throw ExitCode(ExitStatus.failure)
        }
        FileHandle.standardOutput.write(Data(answer.utf8))
    }
}

/// `bbtui setup-git [--undo]`: makes git use `bbtui git-credential` for Bitbucket over HTTPS.
struct SetupGitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup-git",
        abstract: "Make git use bbtui's login for Bitbucket over HTTPS (--undo removes exactly that).",
        discussion: """
            Adds to your global git configuration, for the account's git host only: \
            credential.<host>.helper = !'<this bbtui>' git-credential (after an empty value, which \
            sets git's other helpers aside for that host) and credential.<host>.useHttpPath = true \
            (so the helper can pick the account that sees the workspace). Running it again changes \
            nothing. Cloning from bbtui never needs it.
            """
    )

    @Flag(help: "Remove what setup-git added.") var undo = false

    func run() async throws {
        let context = try CLIContext.load()
        var hosts: [GitHost] = []
        do {
            hosts.append(GitHost(apiURL: try context.settings.apiURL()))
            for account in try context.store.accounts() { hosts.append(GitHost(apiURL: account.configuration.apiURL)) }
        } catch {
            throw CLIContext.fail(error)
        }
        var seen = Set<GitHost>()
        hosts = hosts.filter { seen.insert($0).inserted }
        let helper = ClonePlanner.helperCommand(executable: GitConfig.executablePath)
        for host in hosts {
            do {
                if undo {
                    try GitConfig.removeHelper(helper, for: host)
                } else {
                    try GitConfig.installHelper(helper, for: host)
                }
            } catch let failure as GitConfig.Failure {
                printError("bbtui: \(failure.message)")
                throw ExitCode(ExitStatus.failure)
            }
        }
    }
}

/// Reads and writes the person's global git configuration with `git config --global`.
enum GitConfig {
    struct Failure: Error { var message: String }

    /// This binary, absolute (git runs the helper from any directory).
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    static func installHelper(_ helper: String, for host: GitHost) throws {
        let key = "credential.\(host.origin).helper"
        let current = try values(key)
        if current == ["", helper] {
            printError("git already uses bbtui for \(host.origin) (\(key)).")
        } else {
            if !current.isEmpty, current != [""] {
                printError(
                    "bbtui: replacing git's helpers for \(host.origin): \(current.filter { !$0.isEmpty }.map { "'\($0)'" }.joined(separator: ", ")) (restore them with git config --global --add \(key) …)."
                )
            }
            try git(["config", "--global", "--replace-all", key, ""])
            try git(["config", "--global", "--add", key, helper])
            printError("git now asks bbtui for credentials to \(host.origin) (\(key) in ~/.gitconfig).")
        }
        let pathKey = "credential.\(host.origin).useHttpPath"
        if try values(pathKey).isEmpty { try git(["config", "--global", pathKey, "true"]) }
    }

    static func removeHelper(_ helper: String, for host: GitHost) throws {
        let key = "credential.\(host.origin).helper"
        let current = try values(key)
        guard current.contains(helper) else {
            printError("git does not use this bbtui for \(host.origin): nothing to undo.")
            return
        }
        let remaining = current.filter { $0 != helper && !$0.isEmpty }
        if remaining.isEmpty {
            try git(["config", "--global", "--unset-all", key])
            let pathKey = "credential.\(host.origin).useHttpPath"
            if try values(pathKey) == ["true"] { try git(["config", "--global", "--unset-all", pathKey]) }
        } else {
            try git(["config", "--global", "--fixed-value", "--unset-all", key, helper])
        }
        printError("git no longer asks bbtui for credentials to \(host.origin).")
    }

    /// Every value of `key` in the global configuration.
    static func values(_ key: String) throws -> [String] {
        let (status, output) = try run(["config", "--global", "--get-all", key])
        // 1: the key is not set.
        if status == 1 { return [] }
        guard status == 0 else { throw Failure(message: "git config --get-all \(key) failed (exit \(status)).") }
        var lines = output.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    private static func git(_ arguments: [String]) throws {
        let (status, _) = try run(arguments)
        guard status == 0 else {
            throw Failure(message: "git \(arguments.prefix(3).joined(separator: " ")) failed (exit \(status)).")
        }
    }

    private static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(message: "Could not run git (\(error.localizedDescription)): is git installed and on PATH?")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

extension CloneProtocol: ExpressibleByArgument {}

/// `bbtui clone WORKSPACE/SLUG [DIR]` and `bbtui clone --workspace WS`.
struct CloneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone",
        abstract: "Clone a repository (or every one of a workspace not cloned yet) with the stored login.",
        discussion: """
            Over SSH when a key on the account is usable from this machine (its private key beside \
            the .pub, or in the agent), otherwise over HTTPS through bbtui's own credential helper \
            (no setup needed). --protocol or the clone_protocol setting (BBTUI_CLONE_PROTOCOL) forces \
            one. Clones go to the clone_dir setting (BBTUI_CLONE_DIR, default the current \
            directory; {workspace} and {slug} may appear in it), four at once. A failed or \
            interrupted clone leaves nothing behind. Exit 0 when everything asked for was cloned, 2 \
            when some failed (each named on standard error), 1 when none was.
            """
    )

    @Argument(
        help: "The repository, WORKSPACE/SLUG.",
        completion: .custom { _, _, prefix in Completions.repositories(prefix: prefix) }) var repository: String?
    @Argument(help: "Where to clone it (default: from clone_dir).", completion: .directory) var directory: String?
    @Option(
        help: "Clone every repository of this workspace not cloned yet.",
        completion: .custom { _, _, prefix in Completions.workspaces(prefix: prefix) }) var workspace: String?
    @Option(name: .customLong("protocol"), help: "ssh or https (default: SSH when a key is usable here).")
    var cloneProtocol: CloneProtocol?
    @Option(help: "How many clones run at once (1–16).") var jobs = Cloner.concurrentClones

    func validate() throws {
        guard (repository == nil) != (workspace == nil) else {
            throw ValidationError("Name one repository (WORKSPACE/SLUG) or --workspace WS.")
        }
        if workspace != nil, directory != nil {
            throw ValidationError("A directory goes with one repository; --workspace clones into clone_dir.")
        }
        if let repository, repository.split(separator: "/", omittingEmptySubsequences: false).count != 2 {
            throw ValidationError("Name the repository as WORKSPACE/SLUG, not '\(repository)'.")
        }
        guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 16.") }
    }

    func run() async throws {
        let context = try CLIContext.load()
        let account = try context.activeAccount()
        let session = try context.session(for: account)
        let settings = context.settings
        let forced: CloneProtocol?
        let template: String?
        do {
            forced = try cloneProtocol ?? settings.cloneProtocol()
            template = settings.values["BBTUI_CLONE_DIR"]
        } catch {
            printError("bbtui: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let workingDirectory = FileManager.default.currentDirectoryPath
        let environment = context.environment
        let requested = repository
        let workspace = workspace
        let repositories: [Repository]
        let chosen: CloneProtocol
        let reason: String
        do {
            (repositories, chosen, reason) = try await context.withinDeadline {
                () async throws -> ([Repository], CloneProtocol, String) in
                let repositories: [Repository]
                if let requested {
                    repositories = [try await session.client.repository(fullName: requested)]
                } else {
                    repositories = try await Self.list(workspace: workspace ?? "", client: session.client)
                }
                if let forced { return (repositories, forced, "") }
                let (chosen, reason) = await Self.choose(session: session, environment: environment)
                return (repositories, chosen, reason)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
        if !reason.isEmpty { printError("bbtui: \(reason)") }
        let planner = ClonePlanner(
            directoryTemplate: template, workingDirectory: workingDirectory, home: environment["HOME"],
            gitHost: GitHost(apiURL: account.configuration.apiURL),
            credentialHelper: ClonePlanner.helperCommand(executable: GitConfig.executablePath))
        var planned: [CloneJob] = []
        var failures = 0
        var skipped = 0
        for repository in repositories {
            do {
                var job = try planner.job(for: repository, over: chosen)
                if let directory {
                    job.target = ClonePlanner.normalize(
                        directory.hasPrefix("/") ? directory : workingDirectory + "/" + directory)
                } else if workspace != nil, FileManager.default.fileExists(atPath: job.target) {
                    skipped += 1
                    continue
                }
                planned.append(job)
            } catch {
                printError("bbtui: \(error)")
                failures += 1
            }
        }
        if skipped > 0 { printError("bbtui: \(skipped) already cloned in place, left alone.") }
        if planned.isEmpty, failures == 0 {
            printError("bbtui: nothing to clone in \(safe(workspace ?? "")).")
            return
        }
        let limit = jobs
        let outcomes = await CloneSignals.cancellingOnSignal { [planned] in
            await Cloner.run(planned, limit: limit, environment: environment) { event in
                switch event {
                case .started(let job):
                    printError(
                        "Cloning \(job.fullName) into \(job.target) over \(job.cloneProtocol.rawValue.uppercased())…")
                case .finished(let name, .cloned): printError("Cloned \(name).")
                case .finished(_, .failed(let message)): printError("bbtui: \(message)")
                case .finished(let name, .cancelled): printError("bbtui: \(name): cancelled; nothing was left behind.")
                case .progress: break
                }
            }
        }
        let cloned = outcomes.filter { $0 == .cloned }.count
        failures += outcomes.count - cloned
        if outcomes.contains(.cancelled), let signal = CloneSignals.received { throw ExitCode(128 + signal) }
        if failures == 0 { return }
        printError("bbtui: \(cloned) of \(cloned + failures) cloned.")
        throw ExitCode(cloned == 0 ? ExitStatus.failure : ExitStatus.incomplete)
    }

    /// Every repository of `workspace`, listed as `bbtui repos` lists them.
    static func list(workspace: String, client: BitbucketClient) async throws -> [Repository] {
        var repositories: [Repository] = []
        let stream = client.repositories(
            in: [Workspace(uuid: "", slug: workspace, name: nil, isAdministrator: false)])
        for try await batch in stream {
            if batch.isSnapshot { repositories.removeAll() }
            repositories += batch.repositories
            if let failure = batch.failures.values.first { throw failure }
        }
        return repositories
    }

    /// SSH when a key on the account is usable from here, else HTTPS; and why, in words.
    static func choose(session: AccountSession, environment: [String: String]) async -> (CloneProtocol, String) {
        let local = LocalKeys.find(home: environment["HOME"], agentSocket: environment["SSH_AUTH_SOCK"])
        do {
            let keys = try await session.client.sshKeys(user: session.account.id)
            let report = SSHKeyReport(accountKeys: keys, local: local, now: Date())
            if let usable = report.rows.first(where: \.isUsableHere) {
                return (.ssh, "cloning over SSH: \(usable.localSource ?? "a key") is on the account.")
            }
            return (.https, "cloning over HTTPS with bbtui's login: no SSH key on the account is usable from here.")
        } catch {
            return (.https, "cloning over HTTPS with bbtui's login (the SSH keys could not be checked: \(error)).")
        }
    }
}

/// Ctrl-C, SIGTERM and SIGHUP during clones stop git and remove what it wrote, then exit.
enum CloneSignals {
    private static let signal = Atomic<Int32>(0)
    /// The signal that stopped the clones, if one did.
    static var received: Int32? {
        let value = signal.load(ordering: .acquiring)
        return value == 0 ? nil : value
    }

    static func cancellingOnSignal<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        // The handlers are in place before the first clone starts: a signal that comes at once
        // still stops it (and never finds the exiting handler that would leave git running).
        let running = Mutex<Task<T, Never>?>(nil)
        let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                signal.store(number, ordering: .releasing)
                running.withLock { $0?.cancel() }
            }
            source.resume()
            sources.append(source)
        }
        let task = Task { await body() }
        running.withLock { $0 = task }
        if received != nil { task.cancel() }
        let value = await task.value
        for source in sources { source.cancel() }
        for number in signals { Foundation.signal(number, SIG_DFL) }
        TokenCommitGuard.installExitingHandlers()
        return value
    }

}
