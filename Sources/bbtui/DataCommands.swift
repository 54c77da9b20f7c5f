import ArgumentParser
import BitbucketKit
import Foundation

/// `bbtui whoami [--json]`.
struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Show the logged-in user's profile.")

    @Flag(help: "Print JSON (the API's field names).") var json = false

    struct Output: Encodable {
        var uuid: String
        var display_name: String
        var nickname: String?
        var username: String?
        var account_id: String?
        var account_status: String?
        var created_on: Date?
        var is_staff: Bool?
        var has_2fa_enabled: Bool?
        var location: String?
        var website: String?
        var links: [String: String]
        var scopes: [String]

        init(_ user: User) {
            uuid = user.uuid
            display_name = user.displayName
            nickname = user.nickname
            username = user.username
            account_id = user.accountID
            account_status = user.accountStatus
            created_on = user.createdOn
            is_staff = user.isStaff
            has_2fa_enabled = user.hasTwoFactorAuthentication
            location = user.location
            website = user.website
            links = [:]
            if let html = user.webURL { links["html"] = html }
            if let avatar = user.avatarURL { links["avatar"] = avatar }
            scopes = user.grantedScopes
        }
    }

    func run() async throws {
        let context = try CLIContext.load()
        let client = try context.session(for: try context.activeAccount()).client
        let user: User
        do { user = try await context.withinDeadline { try await client.currentUser() } } catch let exit as ExitCode {
            throw exit
        } catch { throw CLIContext.fail(error) }
        if json {
            printOut(bbtui.json(Output(user)))
            return
        }
        printOut(
            table(
                ["", ""],
                [
                    ["Name", safe(user.displayName)], ["Nickname", safe(user.nickname)],
                    ["Username", safe(user.username)],
                    ["Account ID", safe(user.accountID)], ["UUID", safe(user.uuid)],
                    ["Status", safe(user.accountStatus)],
                    ["Created", Format.day(user.createdOn)], ["Location", safe(user.location)],
                    ["Website", safe(user.website)],
                    [
                        "Two-step",
                        user.hasTwoFactorAuthentication.map { $0 ? "enabled" : "disabled" } ?? "not reported",
                    ],
                    ["Scopes", user.grantedScopes.joined(separator: ", ")], ["Profile", safe(user.webURL)],
                ]))
    }
}

/// `bbtui emails [--json]`.
struct EmailsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emails", abstract: "List the user's email addresses, primary first.")

    @Flag(help: "Print JSON (the API's field names).") var json = false

    func run() async throws {
        let context = try CLIContext.load()
        let client = try context.session(for: try context.activeAccount()).client
        var emails: [Email]
        do { emails = try await context.withinDeadline { try await client.emails() } } catch let exit as ExitCode {
            throw exit
        } catch { throw CLIContext.fail(error) }
        emails.sort {
            ($0.isPrimary ? 0 : 1, $0.isConfirmed ? 0 : 1, $0.address) < (
                $1.isPrimary ? 0 : 1, $1.isConfirmed ? 0 : 1, $1.address
            )
        }
        if json {
            struct Row: Encodable { var email: String, is_primary: Bool, is_confirmed: Bool }
            printOut(
                bbtui.json(
                    emails.map { Row(email: $0.address, is_primary: $0.isPrimary, is_confirmed: $0.isConfirmed) }))
            return
        }
        printOut(
            table(
                ["EMAIL", "PRIMARY", "CONFIRMED"],
                emails.map { [safe($0.address), $0.isPrimary ? "yes" : "no", $0.isConfirmed ? "yes" : "no"] }))
    }
}

/// `bbtui repos [--json] [--workspace SLUG] [--limit N]`.
struct ReposCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repos",
        abstract: "List repositories across your workspaces (all pages), most recently updated first.")

    @Flag(help: "Print JSON (the API's field names).") var json = false
    @Option(
        help: "Only this workspace (its slug).",
        completion: .custom { _, _, prefix in Completions.workspaces(prefix: prefix) }) var workspace: String?
    @Option(help: "At most this many repositories.") var limit: Int?
    @Flag(help: "List every page again instead of asking only for what changed since the last complete listing.")
    var full = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1.") }
    }

    /// The JSON shape of one repository. `repos --json` writes it by hand with `write(_:to:)`
    /// (JSONEncoder was too slow for 100,000); this `Encodable` form is the reference the tests
    /// compare that text against, byte for byte.
    struct Output: Encodable {
        var uuid: String
        var name: String
        var slug: String
        var full_name: String
        var workspace: String
        var description: String
        var is_private: Bool
        var language: String
        var size: Int64?
        var created_on: Date?
        var updated_on: Date?
        var mainbranch: String?
        var fork_policy: String?
        var project: String?
        var parent: String?
        var links: [String: String]

        /// Writes the repository as `Output` encodes it (keys sorted), for `JSONText`.
        static func write(_ repository: Repository, to text: inout JSONText) {
            text.member("created_on", repository.createdOn)
            text.member("description", repository.description)
            text.member("fork_policy", repository.forkPolicy)
            text.member("full_name", repository, .fullName)
            text.member("is_private", repository.isPrivate)
            text.member("language", repository.language)
            text.member("links") { links in
                links.member("clone_https", repository, .cloneHTTPS)
                links.member("clone_ssh", repository, .cloneSSH)
                links.member("html", repository, .webURL)
            }
            text.member("mainbranch", repository.mainBranch)
            text.member("name", repository.name)
            text.member("parent", repository.parentFullName)
            text.member("project", repository.projectKey)
            text.member("size", repository.size)
            text.member("slug", repository.slug)
            text.member("updated_on", repository.updatedOn)
            text.member("uuid", repository.uuid)
            text.member("workspace", repository.workspaceSlug)
        }

        init(_ repository: Repository) {
            uuid = repository.uuid
            name = repository.name
            slug = repository.slug
            full_name = repository.fullName
            workspace = repository.workspaceSlug
            description = repository.description
            is_private = repository.isPrivate
            language = repository.language
            size = repository.size
            created_on = repository.createdOn
            updated_on = repository.updatedOn
            mainbranch = repository.mainBranch
            fork_policy = repository.forkPolicy
            project = repository.projectKey
            parent = repository.parentFullName
            links = [:]
            if let html = repository.webURL { links["html"] = html }
            if let ssh = repository.cloneSSH { links["clone_ssh"] = ssh }
            if let https = repository.cloneHTTPS { links["clone_https"] = https }
        }
    }

    /// What a listing brought back (BitbucketKit folds the batches), and how many workspaces an
    /// incomplete one got whole and kept for the next.
    struct Listing: Sendable {
        var folded = RepositoryListing()
        var keptWhole = 0
        var repositories: [Repository] { folded.repositories }
        var failures: [String: APIError] { folded.failures }
        var mismatches: [String: CountMismatch] { folded.mismatches }
        var expectedTotal: Int? { folded.expectedTotal }
        var isComplete: Bool { folded.isComplete }
    }

    func run() async throws {
        // A command that runs once and exits: memory it frees is kept for reuse instead of
        // being handed back to the kernel and faulted in again (6% of a listing's CPU went to
        // page faults). The TUI keeps glibc's defaults and trims after a listing.
        let mmapThreshold: Int32 = -3 // M_MMAP_THRESHOLD
        let trimThreshold: Int32 = -1 // M_TRIM_THRESHOLD
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 256 << 20)
        let context = try CLIContext.load()
        let account = try context.activeAccount()
        let client = try context.session(for: account).client
        let (settings, accountID) = (context.settings, account.id)
        let only = workspace
        let listing: Listing
        do {
            listing = try await context.withinDeadline {
                let workspaces: [Workspace]
                if let only {
                    workspaces = [Workspace(uuid: only, slug: only, name: nil, isAdministrator: false)]
                } else {
                    workspaces = try await client.workspaces(names: false)
                    // Shell completion offers these slugs for --workspace, from the cache.
                    let cacheStore = try? CacheStore(paths: settings.paths)
                    try? cacheStore?.put(
                        workspaces, key: CacheStore.Key.workspaces, accountID: accountID, fetchedAt: Date())
                }
                // The last complete listing (`repos` and the TUI share it): a refresh asks only
                // for what changed since, and a complete listing becomes the next one's start.
                let cacheStore = try? CacheStore(paths: settings.paths)
                let complete =
                    full
                    ? nil
                    : cacheStore?.get(CacheStore.Key.repositories, accountID: accountID)?
                        .value
                // And what an incomplete listing since got whole (an account too large for one
                // hour's requests is listed whole over several).
                let progress =
                    full
                    ? nil
                    : cacheStore?.get(CacheStore.Key.repositoriesProgress, accountID: accountID)?.value
                let previous = RepositorySnapshot.start(complete: complete, progress: progress)
                var listing = Listing()
                for try await batch in client.repositories(in: workspaces, previous: previous) {
                    listing.folded.absorb(batch)
                }
                // `--workspace` lists a part: it never replaces what is cached for the whole.
                guard only == nil else { return listing }
                let writes = listing.folded.cacheWrites(
                    workspaces: workspaces.map(\.slug), complete: complete, hadProgress: progress != nil)
                for write in writes {
                    switch write {
                    case .touchComplete:
                        try? cacheStore?.touch(CacheStore.Key.repositories, accountID: accountID, fetchedAt: Date())
                    case .putComplete(let snapshot):
                        try? cacheStore?.put(
                            snapshot, key: CacheStore.Key.repositories, accountID: accountID, fetchedAt: Date())
                    case .putProgress(let whole):
                        if (try? cacheStore?.put(
                            whole, key: CacheStore.Key.repositoriesProgress, accountID: accountID, fetchedAt: Date()))
                            != nil
                        {
                            listing.keptWhole = whole.workspaces.count
                        }
                    case .removeProgress:
                        try? cacheStore?.remove(CacheStore.Key.repositoriesProgress, accountID: accountID)
                    }
                }
                return listing
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIContext.fail(error)
        }
        let all = listing.repositories
        let isIncomplete = report(listing)
        // Sorted by index: moving 300-byte values around costs more than the comparisons.
        var order = Array(all.indices)
        // The full name is compared only between repositories updated at the same moment.
        let updated = all.map { $0.updatedOn ?? .distantPast }
        order.sort { updated[$0] != updated[$1] ? updated[$0] > updated[$1] : all[$0].fullName > all[$1].fullName }
        if let limit { order = Array(order.prefix(limit)) }
        let repositories = order.lazy.map { all[$0] }
        if json {
            JSONText.write(repositories, to: STDOUT_FILENO) { text, repository in Output.write(repository, to: &text) }
        } else {
            let now = Date()
            printOut(
                table(
                    ["NAME", "WORKSPACE", "ACCESS", "LANGUAGE", "UPDATED", "SIZE"],
                    repositories.map {
                        [
                            safe($0.fullName), safe($0.workspaceSlug), $0.isPrivate ? "private" : "public",
                            safe($0.language.isEmpty ? "-" : $0.language), Format.age($0.updatedOn, now: now),
                            Format.size($0.size),
                        ]
                    }))
        }
        if isIncomplete { throw ExitCode(ExitStatus.incomplete) }
    }

    /// Says on stderr, once per workspace, what is missing from the listing; true when anything is.
    func report(_ listing: Listing) -> Bool {
        for (slug, error) in listing.failures.sorted(by: { $0.key < $1.key }) {
            let listed = listing.repositories.filter { $0.workspaceSlug == slug }.count
            printError(
                "bbtui: workspace \(slug): \(CLIContext.message(for: error).message) (\(listed) of its repositories were listed)"
            )
        }
        for (slug, mismatch) in listing.mismatches.sorted(by: { $0.key < $1.key }) {
            let cause = mismatch.keptChanging ? "it kept changing while it was listed" : "its pages did not add up"
            printError(
                "bbtui: workspace \(slug): \(mismatch.listed) repositories listed, Bitbucket reports \(mismatch.reported) (\(cause))."
            )
        }
        let listed = listing.repositories.count
        if listing.keptWhole > 0 {
            let kept =
                listing.keptWhole == 1
                ? "the workspace listed whole is kept: the next `bbtui repos` refreshes it (one request)"
                : "the \(listing.keptWhole) workspaces listed whole are kept: the next `bbtui repos` refreshes them (one request each)"
            printError("bbtui: \(kept) and lists the rest.")
        }
        if let expected = listing.expectedTotal, listed != expected || !listing.isComplete {
            printError(
                "bbtui: the listing is incomplete: \(listed) of the \(expected) repositories Bitbucket reported were listed."
            )
            return true
        }
        return !listing.isComplete
    }
}

/// glibc's `mallopt` (in <malloc.h>, which the Glibc module leaves out).
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
