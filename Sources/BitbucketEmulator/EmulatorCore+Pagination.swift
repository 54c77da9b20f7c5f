extension EmulatorCore {
    /// How a listing pages.
    enum PageStyle {
        /// `page=N`, with or without `size`.
        case numbered(includeSize: Bool)
        /// An opaque `cursor` parameter; no `size` or `page`.
        case cursor
    }

    static let defaultPageLength = 10
    static let maxPageLength = 100

    /// The page length a request asks for, capped like Bitbucket does.
    func pageLength(_ request: EmulatorRequest) -> Int {
        let asked = request.queryValue("pagelen").flatMap(Int.init) ?? EmulatorCore.defaultPageLength
        return min(
            max(1, asked), configuration.pageCap.map { max(1, $0) } ?? EmulatorCore.maxPageLength,
            EmulatorCore.maxPageLength)
    }

    /// Pages an already built list of values.
    func paginate(_ values: [JSONValue], request: EmulatorRequest, path: String, style: PageStyle) -> EmulatorResponse {
        let length = pageLength(request)
        let start: Int
        switch style {
        case .numbered:
            start = (max(1, request.queryValue("page").flatMap(Int.init) ?? 1) - 1) * length
        case .cursor:
            start = request.queryValue("cursor").flatMap(EmulatorCore.decodeCursor) ?? 0
        }
        let slice = start < values.count ? Array(values[start..<min(values.count, start + length)]) : []
        return envelope(
            slice, total: values.count, start: start, length: length, request: request, path: path, style: style)
    }

    func envelope(
        _ page: [JSONValue], total: Int, start: Int, length: Int, request: EmulatorRequest, path: String,
        style: PageStyle
    ) -> EmulatorResponse {
        var members: [(String, JSONValue)] = [("pagelen", .int(length))]
        let hasNext = start + length < total
        switch style {
        case .numbered(let includeSize):
            let number = start / length + 1
            if includeSize { members.append(("size", .int(total))) }
            members.append(("values", .array(page)))
            members.append(("page", .int(number)))
            if hasNext {
                members.append(("next", .string(link(path, request, replacing: "page", with: String(number + 1)))))
            }
            if number > 1 {
                members.append(("previous", .string(link(path, request, replacing: "page", with: String(number - 1)))))
            }
        case .cursor:
            members.append(("values", .array(page)))
            if hasNext {
                members.append(
                    (
                        "next",
                        .string(
                            link(path, request, replacing: "cursor", with: EmulatorCore.encodeCursor(start + length)))
                    ))
            }
        }
        var body = JSONValue.object(members)
        if let fields = request.queryValue("fields") { body = body.selecting(fields: fields) }
        return .json(200, body)
    }

    private func link(_ path: String, _ request: EmulatorRequest, replacing name: String, with value: String) -> String
    {
        var items = request.queryItems.filter { $0.0 != name }
        items.append((name, value))
        return baseURL + path + "?" + FormEncoding.encode(items)
    }

    static func encodeCursor(_ offset: Int) -> String {
        // Opaque to clients; they must follow `next` as it is.
        "c" + String(offset * 7 + 3, radix: 36)
    }

    static func decodeCursor(_ cursor: String) -> Int? {
        guard cursor.hasPrefix("c"), let raw = Int(cursor.dropFirst(), radix: 36), (raw - 3) % 7 == 0 else {
            return nil
        }
        return (raw - 3) / 7
    }

    // MARK: - GET /2.0/repositories/{workspace}

    func repositories(_ request: EmulatorRequest, workspace slug: String) -> EmulatorResponse {
        churnDuringListing()
        let data = self.data
        guard let workspace = data.workspaces.firstIndex(where: { $0.slug == slug }) else {
            return .apiError(404, "No workspace with identifier '\(slug)'.")
        }
        if let role = request.queryValue("role") {
            if configuration.rejectsRoleFilter {
                return .apiError(
                    410, "CHANGE-2770 - Functionality has been deprecated",
                    detail: .string("The role parameter is no longer supported on this endpoint."),
                    data: .object([
                        (
                            "announcement_url",
                            .string("https://developer.atlassian.com/cloud/bitbucket/changelog#CHANGE-2770")
                        )
                    ])
                )
            }
            guard ["member", "contributor", "admin", "owner"].contains(role) else {
                return .apiError(400, "Invalid role: \(role). Valid roles are: member, contributor, admin, owner.")
            }
        }
        var indices: [Int]
        do {
            indices = try sortedIndices(workspace: workspace, sort: request.queryValue("sort"), in: data)
        } catch {
            return .apiError(400, error.message)
        }
        if let q = request.queryValue("q"), !q.trimmingCharacters(in: " ").isEmpty {
            do {
                let filter = try RepositoryFilter(parsing: q)
                indices = indices.filter {
                    filter.matches(data.repositories[$0], workspace: data.workspaces[workspace])
                }
            } catch {
                return .apiError(400, "Invalid query: \(error.message)", detail: .string(q))
            }
        }
        let length = pageLength(request)
        let page = max(1, request.queryValue("page").flatMap(Int.init) ?? 1)
        let start = (page - 1) * length
        if start > 0 && start >= indices.count {
            return .apiError(404, "Invalid page")
        }
        let values = indices[min(start, indices.count)..<min(indices.count, start + length)].map {
            repositoryJSON($0, in: data)
        }
        return envelope(
            values, total: indices.count, start: start, length: length, request: request,
            path: "/2.0/repositories/\(slug)", style: .numbered(includeSize: true))
    }

    private func sortedIndices(workspace: Int, sort: String?, in data: EmulatorData) throws(EmulatorQueryError) -> [Int]
    {
        let key = "\(data.generation)|\(workspace)|\(sort ?? "")"
        if let cached = sortCache.withLock({ $0[key] }) { return cached }
        var indices = data.repositories.indices.filter {
            data.repositories[$0].workspace == workspace && !data.repositories[$0].isDeleted
        }
        if let sort {
            let descending = sort.hasPrefix("-")
            let field = sort.trimmingCharacters(in: "-")
            let repos = data.repositories
            let ascending: (Int, Int) -> Bool
            switch field {
            case "name": ascending = { (repos[$0].name.lowercased(), $0) < (repos[$1].name.lowercased(), $1) }
            case "slug", "full_name": ascending = { (repos[$0].slug, $0) < (repos[$1].slug, $1) }
            case "size": ascending = { (repos[$0].size, $0) < (repos[$1].size, $1) }
            case "created_on": ascending = { (repos[$0].createdOn, $0) < (repos[$1].createdOn, $1) }
            case "updated_on": ascending = { (repos[$0].updatedOn, $0) < (repos[$1].updatedOn, $1) }
            case "language": ascending = { (repos[$0].language, $0) < (repos[$1].language, $1) }
            default: throw EmulatorQueryError("Invalid sort field: \(field)")
            }
            indices.sort { descending ? ascending($1, $0) : ascending($0, $1) }
        }
        sortCache.withLock { $0[key] = indices }
        return indices
    }
}

/// A bad `q` or `sort` parameter.
struct EmulatorQueryError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension Error {
    var message: String { (self as? EmulatorQueryError)?.message ?? "\(self)" }
}
