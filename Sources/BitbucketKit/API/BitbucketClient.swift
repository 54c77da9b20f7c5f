import Foundation
import Synchronization

/// The Bitbucket Cloud REST API 2.0, as bbtui uses it today.
///
/// The cross-workspace `/repositories` listing is gone (CHANGE-2770), so repositories are listed
/// per workspace: every workspace's first page, then the remaining pages in parallel with a
/// bounded concurrency and an explicit sort, deduplicated by `uuid`, delivered as batches so a
/// UI shows the first rows at once.
public struct BitbucketClient: Sendable {
    private let transport: any HTTPTransport
    private let apiURL: URL
    let pageConcurrency: Int
    let pageLength: Int

    /// Requests one listing keeps in flight at most: enough for every follow-up page of five
    /// workspaces of 1,000 repositories in one round trip.
    public static let defaultConcurrency = 48

    /// Creates a client. `transport` is normally an `AuthorizedTransport`.
    public init(
        transport: any HTTPTransport, apiURL: URL, pageConcurrency: Int = BitbucketClient.defaultConcurrency,
        pageLength: Int = 100
    ) {
        self.transport = transport
        self.apiURL = apiURL
        self.pageConcurrency = max(1, pageConcurrency)
        self.pageLength = min(100, max(1, pageLength))
    }

    // MARK: - Resources

    /// The logged-in user, with the scopes the token carries.
    public func currentUser() async throws(APIError) -> User {
        let response = try await get(url("/user"), context: "user")
        let scopes = (response.headers["x-oauth-scopes"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        return try decode(RawUser.self, response, context: "user").model(scopes: scopes)
    }

    /// Every email address, following every page.
    public func emails() async throws(APIError) -> [Email] {
        try await allPages(url("/user/emails", [("pagelen", "100")]), RawEmail.self, context: "emails").map(\.model)
    }

    /// Every workspace, with names filled in concurrently where the listing omits them (one more
    /// round trip; a listing of repositories needs only the slugs: `names: false`).
    public func workspaces(names fillsNames: Bool = true) async throws(APIError) -> [Workspace] {
        let rows = try await allPages(
            url("/user/workspaces", [("pagelen", "100"), ("sort", "slug")]), RawWorkspaceAccess.self,
            context: "workspaces")
        var workspaces = rows.map {
            Workspace(
                uuid: $0.workspace.uuid ?? $0.workspace.slug, slug: $0.workspace.slug, name: $0.workspace.name,
                isAdministrator: $0.administrator ?? false)
        }
        guard fillsNames else { return workspaces }
        let missing = workspaces.indices.filter { workspaces[$0].name == nil }
        let names = await withTaskGroup(of: (Int, String?).self) { group in
            var results: [Int: String] = [:]
            var pending = missing[...]
            func startNext(_ group: inout TaskGroup<(Int, String?)>) {
                guard let index = pending.popFirst() else { return }
                let slug = workspaces[index].slug
                group.addTask {
                    let response = try? await self.get(self.url("/workspaces/\(slug)"), context: "workspace \(slug)")
                    return (
                        index, response.flatMap { try? self.decode(RawWorkspace.self, $0, context: "workspace").name }
                    )
                }
            }
            for _ in 0..<pageConcurrency { startNext(&group) }
            for await (index, name) in group {
                if let name { results[index] = name }
                startNext(&group)
            }
            return results
        }
        for (index, name) in names { workspaces[index].name = name }
        return workspaces
    }

    /// One repository by its full name (`workspace/slug`).
    public func repository(fullName: String) async throws(APIError) -> Repository {
        try decode(
            RawRepository.self, try await get(url("/repositories/\(fullName)"), context: fullName), context: fullName
        ).model
    }

    /// Every repository of the given workspaces, as batches arrive.
    ///
    /// Without `previous`, batches carry new repositories as pages arrive (first rows at once);
    /// with a previous complete listing (a refresh), only whole snapshots are delivered. A batch
    /// with `isSnapshot` replaces everything delivered before it. The last batch has `isFinal`,
    /// with the workspaces whose count still disagrees with Bitbucket's.
    ///
    /// The stream throws only when nothing can be listed (the token is refused, a scope is
    /// missing, or every workspace failed before a single repository arrived); a failing
    /// workspace or page is reported in the batches' `failures` while the others go on.
    public func repositories(
        in workspaces: [Workspace], previous: RepositorySnapshot? = nil, sort: String = "-updated_on"
    ) -> AsyncThrowingStream<RepositoryBatch, any Error> {
        AsyncThrowingStream { continuation in
            let lister = RepositoryLister(
                client: self, slugs: workspaces.map(\.slug), previous: previous, sort: sort,
                concurrency: pageConcurrency
            ) { continuation.yield($0) }
            let producer = Task {
                do {
                    try await lister.run()
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in producer.cancel() }
        }
    }

    /// The repository fields bbtui shows, so pages carry nothing else (`fields=`).
    static let repositoryFields = [
        "size", "page", "pagelen", "next",
        "values.uuid", "values.name", "values.slug", "values.full_name", "values.description", "values.is_private",
        "values.language", "values.size", "values.created_on", "values.updated_on", "values.mainbranch.name",
        "values.fork_policy", "values.has_issues", "values.has_wiki", "values.project.key", "values.project.name",
        "values.workspace.slug", "values.workspace.name", "values.parent.full_name", "values.parent.uuid",
        "values.links.html.href",
        "values.links.clone", "values.website",
    ].joined(separator: ",")

    /// `repositoryFields`, percent-encoded for a query string (benchmarks and tools).
    public static var repositoryFieldsQuery: String { FormEncoder.encode(repositoryFields) }

    /// A page of a workspace's repositories; with `ifNoneMatch` (an ETag from an earlier fetch
    /// of the same page), a page that has not changed comes back as `notModified`, without
    /// content (Bitbucket honours it on some resources only: any other answer is read as usual).
    func repositoryPage(
        workspace: String, page: Int, sort: String, query: [(String, String)], roleFilterIsGone: RoleFilterFlag,
        ifNoneMatch: String? = nil
    ) async throws(APIError) -> RepositoryPage {
        let context = "repositories of \(workspace), page \(page)"
        var items =
            [("pagelen", String(pageLength)), ("sort", sort)] + query + [
                ("fields", BitbucketClient.repositoryFields), ("page", String(page)),
            ]
        let usesRole = !roleFilterIsGone.isSet
        if usesRole { items.insert(("role", "member"), at: 0) }
        do {
            let response = try await get(
                url("/repositories/\(workspace)", items), context: context, ifNoneMatch: ifNoneMatch,
                mayUseBudgetReserve: page == 1)
            let etag = response.headers["etag"].flatMap(BitbucketClient.usableETag)
            if response.status == 304 {
                return RepositoryPage(
                    repositories: [], size: nil, pagelen: nil, next: nil, etag: etag ?? ifNoneMatch, notModified: true)
            }
            var decoded = try decodeRepositories(response, context: context)
            decoded.etag = etag
            return decoded
        } catch .gone(let change, let message) where usesRole {
            // Reports conflict on whether role=member still works here: without it, the
            // listing is every repository the user can see in the workspace.
            roleFilterIsGone.set()
            _ = (change, message)
            return try await repositoryPage(
                workspace: workspace, page: page, sort: sort, query: query, roleFilterIsGone: roleFilterIsGone,
                ifNoneMatch: ifNoneMatch)
        }
    }

    /// A page of repositories, read by the one-pass parser; `JSONDecoder` has the last word on
    /// anything the parser does not expect, so errors are as precise as ever.
    func decodeRepositories(_ response: HTTPResponse, context: String) throws(APIError) -> RepositoryPage {
        if let page = RepositoryPageParser.parse(response.body) {
            return RepositoryPage(repositories: page.values, size: page.size, pagelen: page.pagelen, next: page.next)
        }
        let raw = try decode(RawPage<RawRepository>.self, response, context: context)
        return RepositoryPage(
            repositories: raw.values.map(\.model), size: raw.size, pagelen: raw.pagelen, next: raw.next)
    }

    // MARK: - HTTP

    func url(_ path: String, _ query: [(String, String)] = []) -> URL {
        let escapedPath = path.split(separator: "/", omittingEmptySubsequences: false).map {
            FormEncoder.encode(String($0))
        }.joined(separator: "/")
        var text = apiURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + escapedPath
        if !query.isEmpty {
            text += "?" + query.map { FormEncoder.encode($0.0) + "=" + FormEncoder.encode($0.1) }.joined(separator: "&")
        }
        return URL(string: text)!
    }

    func allPages<Value: Decodable>(_ first: URL, _ type: Value.Type, context: String) async throws(APIError) -> [Value]
    {
        var values: [Value] = []
        var next: URL? = first
        var pages = 0
        while let url = next {
            pages += 1
            guard pages <= 1000 else { throw .decoding("\(context): more than 1,000 pages; the next links loop") }
            let page = try decode(
                RawPage<Value>.self, try await get(url, context: context), context: "\(context), page \(pages)")
            values += page.values
            next = page.next.flatMap(URL.init(string:))
        }
        return values
    }

    /// An ETag bbtui may send back: short, visible ASCII only (never a header of its own).
    static func usableETag(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 256, value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return nil
        }
        return value
    }

    /// A GET whose answer must be a success; with `ifNoneMatch`, 304 is one too.
    func get(
        _ url: URL, context: String, ifNoneMatch: String? = nil, mayUseBudgetReserve: Bool = false
    ) async throws(APIError) -> HTTPResponse {
        let response: HTTPResponse
        do {
            var headers = [("Accept", "application/json")]
            if let ifNoneMatch { headers.append(("If-None-Match", ifNoneMatch)) }
            var request = HTTPRequest(url: url, headers: headers)
            request.mayUseBudgetReserve = mayUseBudgetReserve
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw .network(error)
        } catch let error as OAuthError {
            if case .network(let transport) = error { throw .network(transport) }
            throw .unauthorized(error.description)
        } catch let error as APIError {
            throw error
        } catch {
            throw .network(TransportError(.other, host: url.host ?? "", detail: "\(error)"))
        }
        if ifNoneMatch != nil && response.status == 304 { return response }
        try BitbucketClient.check(response)
        return response
    }

    /// Maps an HTTP status and error body to an `APIError`.
    static func check(_ response: HTTPResponse) throws(APIError) {
        guard !(200...299).contains(response.status) else { return }
        let envelope = try? JSONDecoder().decode(RawErrorEnvelope.self, from: Data(response.body))
        let message = envelope?.error?.message ?? (response.isJSON ? "" : describeBody(response))
        switch response.status {
        case 401:
            throw .unauthorized(message.isEmpty ? "the access token was refused" : message)
        case 403:
            if case .scopes(let required, let granted) = envelope?.error?.detail {
                throw .missingScopes(required: required, granted: granted)
            }
            throw .http(403, message)
        case 404:
            throw .notFound(message)
        case 410:
            let change =
                message.range(of: #"CHANGE-\d+"#, options: .regularExpression).map { String(message[$0]) }
                ?? "a removal"
            throw .gone(change: change, message: message)
        case 429:
            throw .rateLimited
        case 500...599:
            throw .server(response.status, message)
        case 300...399:
            let target = response.headers["location"].map { " to \($0)" } ?? ""
            throw .http(
                response.status,
                "a redirect\(target), which bbtui does not follow for the API. Check BBTUI_API_URL (it should be https://api.bitbucket.org/2.0)"
            )
        default:
            throw .http(response.status, message)
        }
    }

    /// A non-JSON error body in a few words: short plain text as it is (Bitbucket's 401 and 429
    /// are text/plain), anything else by its kind, never as raw bytes.
    static func describeBody(_ response: HTTPResponse) -> String {
        let type = response.headers["content-type"]?.lowercased() ?? ""
        if type.contains("html") { return "an HTML error page" }
        if response.body.isEmpty { return "" }
        let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let isPlainText = type.isEmpty || type.hasPrefix("text/plain")
        if isPlainText,
            !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0 == "\u{FFFD}" })
        {
            return String(text.prefix(120))
        }
        return "an unexpected \(type.isEmpty ? "untyped" : type) body"
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse, context: String) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch let error as DecodingError {
            throw .decoding("\(context): \(BitbucketClient.describe(error))")
        } catch {
            throw .decoding("\(context): \(error)")
        }
    }

    /// "values[4].uuid: missing", "not valid JSON (truncated?)".
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(
                in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON (truncated or not JSON at all)"
                : "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(type), found null"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A flag shared by one listing's page requests: set once a workspace answered 410 to `role=member`.
final class RoleFilterFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

extension BitbucketClient {
    /// Decodes one page of `/repositories/{workspace}` (benchmarks and tools that hold a body).
    public static func decodeRepositoryPage(
        _ body: [UInt8]
    ) throws -> (repositories: [Repository], next: String?, size: Int?) {
        if let page = RepositoryPageParser.parse(body) { return (page.values, page.next, page.size) }
        let page = try JSONDecoder().decode(RawPage<RawRepository>.self, from: Data(body))
        return (page.values.map(\.model), page.next, page.size)
    }

    /// The same page through `JSONDecoder` and the `Codable` models only (benchmarks compare).
    public static func decodeRepositoryPageWithCodable(
        _ body: [UInt8]
    ) throws -> (repositories: [Repository], next: String?, size: Int?) {
        let page = try JSONDecoder().decode(RawPage<RawRepository>.self, from: Data(body))
        return (page.values.map(\.model), page.next, page.size)
    }
}
