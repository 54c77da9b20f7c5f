import ArgumentParser
import BitbucketKit
import Foundation

/// `bbtui keys [--json]`: the account's SSH keys, and whether `git clone git@bitbucket.org:…`
/// would work from this machine.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List the account's SSH keys and say which are usable from this machine.",
        discussion: """
            Each key on the account is matched, by its SHA256 fingerprint, against this machine's \
            public keys (~/.ssh/*.pub) and the keys the running ssh-agent offers (SSH_AUTH_SOCK). \
            A key is usable here when this machine has it and it has not expired. Exits 0 when at \
            least one key is usable, 4 when none is (cloning over SSH will fail), 3 when not logged \
            in, 1 on other failures. Needs the consumer's Account: Read permission.
            """
    )

    @Flag(help: "Print JSON: one object per account key, with usable_here.") var json = false

    struct Output: Encodable {
        var uuid: String
        var label: String
        var comment: String
        var type: String?
        var bits: Int?
        var fingerprint: String?
        var key: String
        var created_on: Date?
        var last_used: Date?
        var expires_on: Date?
        var expired: Bool
        var unused_for_a_year: Bool
        var usable_here: Bool
        var local_source: String?

        init(_ row: SSHKeyReport.Row) {
            uuid = row.key.uuid
            label = row.key.label
            comment = row.key.comment
            type = row.typeName
            bits = row.bits
            fingerprint = row.fingerprint
            key = row.key.key
            created_on = row.key.createdOn
            last_used = row.key.lastUsed
            expires_on = row.key.expiresOn
            expired = row.isExpired
            unused_for_a_year = row.isStale
            usable_here = row.isUsableHere
            local_source = row.localSource
        }
    }

    func run() async throws {
        let context = try CLIContext.load()
        let account = try context.activeAccount()
        let client = try context.session(for: account).client
        let environment = context.environment
        let report: SSHKeyReport
        do {
            report = try await context.withinDeadline {
                async let local = Task.detached {
                    LocalKeys.find(home: environment["HOME"], agentSocket: environment["SSH_AUTH_SOCK"])
                }.value
                let keys = try await client.sshKeys(user: account.id)
                return SSHKeyReport(accountKeys: keys, local: await local, now: Date())
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
        for note in report.notes { printError("bbtui: \(note)") }
        if json {
            printOut(bbtui.json(report.rows.map(Output.init)))
        } else if !report.rows.isEmpty {
            let now = Date()
            printOut(
                table(
                    ["LABEL", "COMMENT", "TYPE", "FINGERPRINT", "CREATED", "LAST USED", "EXPIRES", "HERE"],
                    report.rows.map { row in
                        [
                            safe(row.key.label.isEmpty ? "-" : row.key.label),
                            safe(row.key.comment),
                            [row.typeName, row.bits.map(String.init)].compactMap { $0 }.joined(separator: " "),
                            row.fingerprint ?? "unreadable key",
                            Format.day(row.key.createdOn),
                            row.key.lastUsed.map { Format.age($0, now: now) } ?? "never"
                                + (row.isStale ? " (over a year)" : ""),
                            row.isExpired ? "expired" : row.key.expiresOn.map { Format.day($0) } ?? "-",
                            row.isUsableHere
                                ? "yes (\(row.localSource ?? ""))"
                                : row.lacksPrivateKey == true && !row.isExpired
                                    ? "no (no private key beside \(row.localSource ?? "the .pub"))"
                                    : row.localSource != nil ? "no (expired)" : "no",
                        ]
                    }))
        }
        let summary = KeysCommand.summary(report, host: TUI.hostName())
        if report.usableCount > 0 {
            if !json { printOut(summary) }
        } else {
            printError("bbtui: " + summary)
            throw ExitCode(ExitStatus.noUsableKey)
        }
    }

    /// One plain sentence: what works from here, or what to add where.
    static func summary(_ report: SSHKeyReport, host: String) -> String {
        let usable = report.rows.filter(\.isUsableHere)
        if !usable.isEmpty {
            let sources = Set(usable.compactMap(\.localSource)).sorted().joined(separator: ", ")
            return
                "\(usable.count) of the account's \(report.rows.count) SSH keys \(usable.count == 1 ? "is" : "are") usable from \(host) (\(sources)): git clone over SSH will work."
        }
        let halfHere = report.rows.first { $0.lacksPrivateKey == true && !$0.isExpired }
        let why =
            report.rows.isEmpty
            ? "the account has no SSH key"
            : halfHere.map {
                "\($0.localSource ?? "a key") is on the account, but its private key is not beside it and ssh-agent does not hold it"
            } ?? "none of the account's \(report.rows.count) SSH keys is on \(host)"
        if let key = report.keyToAdd {
            return
                "cloning over SSH from this machine will fail: \(why). Add \(key.key.fingerprint) (\(key.source)) in Bitbucket under Personal settings → SSH keys; `bbtui` shows the key to copy in its SSH keys pane."
        }
        return
            "cloning over SSH from this machine will fail: \(why), and this machine has no SSH key. Create one with `ssh-keygen -t ed25519`, then add ~/.ssh/id_ed25519.pub in Bitbucket under Personal settings → SSH keys."
    }
}

/// `bbtui workspaces [--json]`: every workspace with your role, its repositories and projects.
struct WorkspacesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspaces",
        abstract: "List your workspaces: name, slug, your role, repository count and projects.",
        discussion:
            "Exits 2 when a workspace could not be read (the others are listed), 3 when not logged in, 1 on other failures."
    )

    @Flag(help: "Print JSON.") var json = false

    struct Output: Encodable {
        var uuid: String
        var slug: String
        var name: String?
        var role: String
        var administrator: Bool
        var repositories: Int?
        var projects: [String]?
        var error: String?
    }

    func run() async throws {
        let context = try CLIContext.load()
        let account = try context.activeAccount()
        let client = try context.session(for: account).client
        let details: [WorkspaceDetail]
        do {
            details = try await context.withinDeadline {
                try await client.workspaceDetails(try await client.workspaces(names: false), counts: true)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
        if json {
            printOut(
                bbtui.json(
                    details.map {
                        Output(
                            uuid: $0.workspace.uuid, slug: $0.workspace.slug, name: $0.workspace.name, role: $0.role,
                            administrator: $0.workspace.isAdministrator,
                            repositories: $0.repositoryCount, projects: $0.projects, error: $0.problem)
                    }))
        } else {
            printOut(
                table(
                    ["SLUG", "NAME", "ROLE", "REPOS", "PROJECTS"],
                    details.map {
                        [
                            safe($0.workspace.slug), safe($0.workspace.name ?? ""), $0.role,
                            $0.repositoryCount.map(String.init) ?? "?",
                            $0.projects.map { $0.isEmpty ? "-" : $0.map { safe($0) }.joined(separator: ", ") } ?? "?",
                        ]
                    }))
        }
        let failed = details.filter { $0.problem != nil }
        for detail in failed { printError("bbtui: workspace \(detail.workspace.slug): \(detail.problem ?? "")") }
        if !failed.isEmpty { throw ExitCode(ExitStatus.incomplete) }
    }
}
