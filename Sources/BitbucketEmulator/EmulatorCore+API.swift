extension EmulatorCore {
    // MARK: - REST API 2.0

    func api(_ request: EmulatorRequest, routeKey: String) -> EmulatorResponse {
        guard request.method == "GET" else {
            return .apiError(405, "Method not allowed: the emulator serves read-only endpoints.")
        }
        let segments = Array(
            request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init).dropFirst())

        // The CHANGE-2770 removals answer 410 whoever asks.
        switch segments {
        case ["repositories"], ["workspaces"], ["user", "permissions", "repositories"],
            ["user", "permissions", "workspaces"]:
            return gone()
        default:
            break
        }
        guard var required = EmulatorCore.requiredScope(segments) else { return .apiError(404, "Resource not found") }
        if request.headers["authorization"]?.lowercased().hasPrefix("basic ") == true {
            required = EmulatorCore.apiTokenScope(segments)
        }

        let scopes: [String]
        switch authenticate(request) {
        case .failure(let response): return response
        case .success(let granted): scopes = granted
        }
        let scopeHeaders = [("X-OAuth-Scopes", scopes.joined(separator: ", ")), ("X-Accepted-OAuth-Scopes", required)]
        guard scopes.contains(required) else {
            return .apiError(
                403, "Your credentials lack one or more required privilege scopes.",
                detail: .object([
                    ("required", .array([.string(required)])), ("granted", .array(scopes.map(JSONValue.string))),
                ]),
                headers: scopeHeaders
            )
        }
        if segments.first == "repositories", let limited = rateLimited() { return limited }

        switch route(segments, request) {
        case .refused(let message):
            return .apiError(404, message, headers: scopeHeaders)
        case .answered(var response):
            response.headers += scopeHeaders
            return withETag(response, request: request, scopeHeaders: scopeHeaders)
        }
    }

    /// The scope an endpoint needs (the consumer's permission), or nil for no such endpoint.
    static func requiredScope(_ segments: [String]) -> String? {
        switch segments.first {
        case "user" where segments.count == 2 && segments[1] == "emails": return "email"
        case "user", "workspaces", "users": return "account"
        case "repositories": return "repository"
        case "snippets": return "snippet"
        default: return nil
        }
    }

    /// The API-token scope an endpoint needs (chosen when the token was made).
    static func apiTokenScope(_ segments: [String]) -> String {
        switch segments.first {
        case "user" where segments.count == 2 && segments[1] == "workspaces": return "read:workspace:bitbucket"
        case "user": return "read:user:bitbucket"
        case "workspaces": return "read:workspace:bitbucket"
        case "users" where segments.last == "ssh-keys": return "read:ssh-key:bitbucket"
        case "users": return "read:user:bitbucket"
        case "repositories": return "read:repository:bitbucket"
        default: return "read:\(segments.first ?? ""):bitbucket"
        }
    }

    /// An endpoint's answer, or why there is none (a 404 with Bitbucket's message).
    enum Routed {
        case answered(EmulatorResponse)
        case refused(String)
    }

    private func route(_ segments: [String], _ request: EmulatorRequest) -> Routed {
        switch segments {
        case ["user"]:
            return .answered(.json(200, userJSON()))
        case ["user", "emails"]:
            return .answered(emails(request))
        case ["user", "workspaces"]:
            return .answered(userWorkspaces(request))
        case _ where segments.count >= 2 && segments.count <= 4 && segments[0] == "workspaces":
            return workspaceRoute(segments, request)
        case _ where segments.count == 3 && segments[0] == "users" && segments[2] == "ssh-keys":
            // Only the user's own keys: by UUID (in braces) or account id.
            let data = self.data
            guard segments[1] == data.userUUID || segments[1] == data.accountID else {
                return .refused("User \(segments[1]) not found")
            }
            return .answered(
                paginate(
                    data.sshKeys.map { sshKeyJSON($0, in: data) }, request: request,
                    path: "/2.0/users/\(segments[1])/ssh-keys", style: .numbered(includeSize: true)))
        case _ where segments.count == 2 && segments[0] == "repositories":
            return .answered(repositories(request, workspace: segments[1]))
        case _ where segments.count == 3 && segments[0] == "repositories":
            guard let workspace = data.workspaces.firstIndex(where: { $0.slug == segments[1] }),
                let index = data.repositories.firstIndex(where: {
                    $0.workspace == workspace && $0.slug == segments[2] && !$0.isDeleted
                })
            else {
                return .refused("Repository \(segments[1])/\(segments[2]) not found")
            }
            return .answered(.json(200, repositoryJSON(index)))
        default:
            return .refused("Resource not found")
        }
    }

    /// `/2.0/workspaces/{workspace}` and its projects and members.
    private func workspaceRoute(_ segments: [String], _ request: EmulatorRequest) -> Routed {
        guard let index = data.workspaces.firstIndex(where: { $0.slug == segments[1] }) else {
            return .refused("No workspace with identifier '\(segments[1])'.")
        }
        switch Array(segments.dropFirst(2)) {
        case []:
            return .answered(.json(200, workspaceJSON(index, full: true)))
        case ["projects"]:
            return .answered(
                paginate(
                    data.workspaces[index].projects.indices.map { projectJSON(workspace: index, project: $0) },
                    request: request, path: "/2.0/workspaces/\(segments[1])/projects",
                    style: .numbered(includeSize: true)))
        case let tail where tail.count == 2 && tail[0] == "projects":
            guard let project = data.workspaces[index].projects.firstIndex(where: { $0.key == tail[1] }) else {
                return .refused("No project with key '\(tail[1])'.")
            }
            return .answered(.json(200, projectJSON(workspace: index, project: project)))
        case ["members"]:
            return .answered(
                paginate(
                    [membershipJSON(workspace: index)], request: request,
                    path: "/2.0/workspaces/\(segments[1])/members", style: .numbered(includeSize: true)))
        default:
            return .refused("Resource not found")
        }
    }

    /// A 200 carries an ETag of its body; a request that names it gets 304 and no body.
    private func withETag(
        _ response: EmulatorResponse, request: EmulatorRequest, scopeHeaders: [(String, String)]
    ) -> EmulatorResponse {
        guard response.status == 200 else { return response }
        var tagged = response
        let etag = "\"" + EmulatorCore.fingerprint(response.body) + "\""
        tagged.headers.append(("ETag", etag))
        if request.headers["if-none-match"] == etag {
            state.withLock { $0.stats.notModified += 1 }
            return EmulatorResponse(status: 304, headers: scopeHeaders + [("ETag", etag)])
        }
        return tagged
    }

    private func gone() -> EmulatorResponse {
        .apiError(
            410, "CHANGE-2770 - Functionality has been deprecated",
            detail: .string("Please read the changelog entry for more details."),
            data: .object([
                ("announcement_url", .string("https://developer.atlassian.com/cloud/bitbucket/changelog#CHANGE-2770"))
            ])
        )
    }

    private func rateLimited() -> EmulatorResponse? {
        guard let limit = configuration.rateLimit else { return nil }
        let isLimited = state.withLock { state -> Bool in
            let now = clock.now
            state.rateWindow.removeAll { now - $0 > .seconds(3600) }
            if state.rateWindow.count >= limit {
                state.stats.rateLimited += 1
                return true
            }
            state.rateWindow.append(now)
            return false
        }
        return isLimited ? .text(429, "Rate limit for this resource has been exceeded") : nil
    }

    /// A 64-bit FNV-1a of the body, in hex: stable ETags without a hash dependency.
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return String(hash, radix: 16)
    }

    // MARK: - Resources

    func userJSON() -> JSONValue {
        let api = apiBase
        return .object([
            ("display_name", .string(data.displayName)),
            (
                "links",
                .object([
                    ("self", .link("\(api)/users/\(FormEncoding.percentEncode(data.userUUID))")),
                    (
                        "avatar",
                        .link(
                            "https://secure.gravatar.com/avatar/0f6c1b2a?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public.atl-paas.net%2Finitials%2FZA-3.png"
                        )
                    ),
                    ("repositories", .link("\(api)/repositories/\(FormEncoding.percentEncode(data.userUUID))")),
                    ("snippets", .link("\(api)/snippets/\(FormEncoding.percentEncode(data.userUUID))")),
                    ("html", .link("https://bitbucket.org/\(FormEncoding.percentEncode(data.userUUID))/")),
                    ("hooks", .link("\(api)/workspaces/\(FormEncoding.percentEncode(data.userUUID))/hooks")),
                ])
            ),
            ("created_on", .string(ISODate.format(data.createdOn))),
            ("type", .string("user")),
            ("uuid", .string(data.userUUID)),
            ("has_2fa_enabled", .null),
            ("username", .string(data.workspaces[0].slug)),
            ("is_staff", .bool(false)),
            ("account_id", .string(data.accountID)),
            ("nickname", .string(data.nickname)),
            ("account_status", .string("active")),
            ("location", .optional(data.location)),
            ("website", .optional(data.website)),
        ])
    }

    private func emails(_ request: EmulatorRequest) -> EmulatorResponse {
        let values: [JSONValue] = data.emails.map { email in
            .object([
                ("is_primary", .bool(email.isPrimary)),
                ("is_confirmed", .bool(email.isConfirmed)),
                ("type", .string("email")),
                ("email", .string(email.address)),
                (
                    "links",
                    .object([("self", .link("\(apiBase)/user/emails/\(FormEncoding.percentEncode(email.address))"))])
                ),
            ])
        }
        return paginate(values, request: request, path: "/2.0/user/emails", style: .numbered(includeSize: true))
    }

    private func userWorkspaces(_ request: EmulatorRequest) -> EmulatorResponse {
        var indices = Array(data.workspaces.indices)
        if let admin = request.queryValue("administrator") {
            indices = indices.filter { data.workspaces[$0].isAdministrator == (admin == "true") }
        }
        if let sort = request.queryValue("sort") {
            let descending = sort.hasPrefix("-")
            guard sort.trimmingCharacters(in: "-") == "slug" else {
                return .apiError(400, "Invalid sort field: \(sort)")
            }
            indices.sort {
                descending
                    ? data.workspaces[$0].slug > data.workspaces[$1].slug
                    : data.workspaces[$0].slug < data.workspaces[$1].slug
            }
        }
        let values: [JSONValue] = indices.map { index in
            .object([
                ("type", .string("workspace_access")),
                ("administrator", .bool(data.workspaces[index].isAdministrator)),
                ("workspace", workspaceJSON(index, full: false)),
                ("links", .object([("self", .link("\(apiBase)/user/workspaces/\(data.workspaces[index].slug)"))])),
            ])
        }
        return paginate(values, request: request, path: "/2.0/user/workspaces", style: .cursor)
    }

    func workspaceJSON(_ index: Int, full: Bool) -> JSONValue {
        let workspace = data.workspaces[index]
        var members: [(String, JSONValue)] = [
            ("type", .string(full ? "workspace" : "workspace_base")),
            ("uuid", .string(workspace.uuid)),
            ("slug", .string(workspace.slug)),
        ]
        if full {
            members.append(("name", .optional(workspace.name)))
            members.append(("is_private", .bool(!workspace.isPersonal)))
            members.append(("created_on", .string(ISODate.format(data.createdOn + index * 86_400 * 30))))
        }
        var links: [(String, JSONValue)] = [
            ("self", .link("\(apiBase)/workspaces/\(workspace.slug)")),
            ("html", .link("https://bitbucket.org/\(workspace.slug)/")),
            ("avatar", .link("https://bitbucket.org/workspaces/\(workspace.slug)/avatar/?ts=1700000000")),
        ]
        if full {
            // What third-party clients follow to list a workspace's things.
            links += [
                ("members", .link("\(apiBase)/workspaces/\(workspace.slug)/members")),
                ("owners", .link("\(apiBase)/workspaces/\(workspace.slug)/members?q=permission%3D%22owner%22")),
                ("projects", .link("\(apiBase)/workspaces/\(workspace.slug)/projects")),
                ("repositories", .link("\(apiBase)/repositories/\(workspace.slug)")),
                ("snippets", .link("\(apiBase)/snippets/\(workspace.slug)")),
            ]
        }
        members.append(("links", .object(links)))
        return .object(members)
    }

    /// A project as `/workspaces/{slug}/projects` lists it.
    func projectJSON(workspace index: Int, project: Int) -> JSONValue {
        let workspace = data.workspaces[index]
        let p = workspace.projects[project]
        return .object([
            ("type", .string("project")),
            ("key", .string(p.key)),
            ("uuid", .string(p.uuid)),
            ("name", .string(p.name)),
            ("description", .string("")),
            ("is_private", .bool(true)),
            ("created_on", .string(ISODate.format(data.createdOn + project * 86_400))),
            ("updated_on", .string(ISODate.format(data.createdOn + project * 86_400))),
            ("has_publicly_visible_repos", .bool(false)),
            (
                "owner",
                .object([
                    ("type", .string(workspace.isPersonal ? "user" : "team")), ("uuid", .string(workspace.uuid)),
                    ("username", .string(workspace.slug)),
                ])
            ),
            (
                "workspace",
                .object([
                    ("type", .string("workspace")), ("uuid", .string(workspace.uuid)),
                    ("slug", .string(workspace.slug)), ("name", .optional(workspace.name)),
                    ("links", .object([("self", .link("\(apiBase)/workspaces/\(workspace.slug)"))])),
                ])
            ),
            (
                "links",
                .object([
                    ("self", .link("\(apiBase)/workspaces/\(workspace.slug)/projects/\(p.key)")),
                    ("html", .link("https://bitbucket.org/\(workspace.slug)/workspace/projects/\(p.key)")),
                    ("avatar", .link("https://bitbucket.org/\(workspace.slug)/workspace/projects/\(p.key)/avatar/32")),
                    ("repositories", .link("\(apiBase)/repositories/\(workspace.slug)?q=project.key%3D%22\(p.key)%22")),
                ])
            ),
        ])
    }

    /// The logged-in user's membership of a workspace, as `/workspaces/{slug}/members` lists it.
    func membershipJSON(workspace index: Int) -> JSONValue {
        let workspace = data.workspaces[index]
        return .object([
            ("type", .string("workspace_membership")),
            (
                "user",
                .object([
                    ("type", .string("user")), ("uuid", .string(data.userUUID)),
                    ("display_name", .string(data.displayName)), ("nickname", .string(data.nickname)),
                    ("account_id", .string(data.accountID)),
                    (
                        "links",
                        .object([("self", .link("\(apiBase)/users/\(FormEncoding.percentEncode(data.userUUID))"))])
                    ),
                ])
            ),
            (
                "workspace",
                .object([
                    ("type", .string("workspace")), ("uuid", .string(workspace.uuid)),
                    ("slug", .string(workspace.slug)), ("name", .optional(workspace.name)),
                    ("links", .object([("self", .link("\(apiBase)/workspaces/\(workspace.slug)"))])),
                ])
            ),
            (
                "links",
                .object([
                    (
                        "self",
                        .link(
                            "\(apiBase)/workspaces/\(workspace.slug)/members/\(FormEncoding.percentEncode(data.userUUID))"
                        )
                    )
                ])
            ),
        ])
    }

    /// A key as `/users/{selected_user}/ssh-keys` lists it (`last_used` and `expires_on` only when set).
    func sshKeyJSON(_ key: EmulatedSSHKey, in data: EmulatorData) -> JSONValue {
        let user = FormEncoding.percentEncode(data.userUUID)
        var members: [(String, JSONValue)] = [
            ("type", .string("ssh_key")),
            ("uuid", .string(key.uuid)),
            ("key", .string(key.key)),
            ("comment", .string(key.comment)),
            ("label", .string(key.label)),
            ("created_on", .string(ISODate.format(key.createdOn))),
        ]
        if let lastUsed = key.lastUsed { members.append(("last_used", .string(ISODate.format(lastUsed)))) }
        if let expiresOn = key.expiresOn { members.append(("expires_on", .string(ISODate.format(expiresOn)))) }
        members.append(
            (
                "links",
                .object([("self", .link("\(apiBase)/users/\(user)/ssh-keys/\(FormEncoding.percentEncode(key.uuid))"))])
            ))
        members.append(
            (
                "owner",
                .object([
                    ("display_name", .string(data.displayName)), ("type", .string("user")),
                    ("uuid", .string(data.userUUID)),
                    ("account_id", .string(data.accountID)), ("nickname", .string(data.nickname)),
                    ("links", .object([("self", .link("\(apiBase)/users/\(user)"))])),
                ])
            ))
        return .object(members)
    }

    /// A repository as Bitbucket writes it: its members in Bitbucket's order.
    func repositoryJSON(_ index: Int, in snapshot: EmulatorData? = nil) -> JSONValue {
        let data = snapshot ?? self.data
        let repository = data.repositories[index]
        let workspace = data.workspaces[repository.workspace]
        let fullName = "\(workspace.slug)/\(repository.slug)"
        var members: [(String, JSONValue)] = [
            ("type", .string("repository")),
            ("full_name", .string(fullName)),
            ("links", repositoryLinks(repository, fullName: fullName, nickname: data.nickname)),
            ("name", .string(repository.name)),
            ("slug", .string(repository.slug)),
            ("description", .string(repository.description)),
            ("scm", .string("git")),
            ("website", .optional(repository.website)),
            ("owner", ownerJSON(workspace)),
            ("workspace", workspaceJSON(workspace)),
            ("is_private", .bool(repository.isPrivate)),
            ("project", projectJSON(workspace.projects[repository.project], in: workspace)),
            ("fork_policy", .string(repository.forkPolicy)),
            ("created_on", .string(ISODate.format(repository.createdOn))),
            ("updated_on", .string(ISODate.format(repository.updatedOn))),
            ("size", .int(repository.size)),
            ("language", .string(repository.language)),
            ("uuid", .string(repository.uuid)),
            (
                "mainbranch",
                repository.mainBranch.map { .object([("name", .string($0)), ("type", .string("branch"))]) } ?? .null
            ),
            ("has_issues", .bool(repository.hasIssues)),
            ("has_wiki", .bool(repository.hasWiki)),
        ]
        if let parentIndex = repository.parent, !data.repositories[parentIndex].isDeleted {
            members.append(("parent", parentJSON(data.repositories[parentIndex], in: data)))
        }
        return .object(members)
    }

    private func repositoryLinks(
        _ repository: EmulatedRepository, fullName: String, nickname: String
    ) -> JSONValue {
        let avatarKind = repository.language.isEmpty ? "default" : repository.language
        return .object([
            ("self", .link("\(apiBase)/repositories/\(fullName)")),
            ("html", .link("https://bitbucket.org/\(fullName)")),
            (
                "avatar",
                .link("https://bytebucket.org/ravatar/\(FormEncoding.percentEncode(repository.uuid))?ts=\(avatarKind)")
            ),
            ("pullrequests", .link("\(apiBase)/repositories/\(fullName)/pullrequests")),
            ("commits", .link("\(apiBase)/repositories/\(fullName)/commits")),
            (
                "clone",
                .array([
                    .object([
                        ("name", .string("https")),
                        ("href", .string(gitOrigin(user: nickname) + "/\(fullName).git")),
                    ]),
                    .object([("name", .string("ssh")), ("href", .string("git@ssh.bitbucket.org:\(fullName).git"))]),
                ])
            ),
        ])
    }

    /// Where git reaches the repositories: this emulator's own address (Bitbucket's clone links
    /// name `https://USER@bitbucket.org`), with the user name in it as Bitbucket puts it.
    func gitOrigin(user: String) -> String {
        let base = baseURL
        guard let separator = base.range(of: "://") else { return base }
        return base[..<separator.upperBound] + user + "@" + base[separator.upperBound...]
    }

    private func ownerJSON(_ workspace: EmulatedWorkspace) -> JSONValue {
        .object([
            ("display_name", .string(workspace.name ?? workspace.slug)),
            ("type", .string(workspace.isPersonal ? "user" : "team")),
            ("uuid", .string(workspace.uuid)),
            ("username", .string(workspace.slug)),
        ])
    }

    private func workspaceJSON(_ workspace: EmulatedWorkspace) -> JSONValue {
        .object([
            ("type", .string("workspace")),
            ("uuid", .string(workspace.uuid)),
            ("name", .optional(workspace.name)),
            ("slug", .string(workspace.slug)),
            ("links", .object([("self", .link("\(apiBase)/workspaces/\(workspace.slug)"))])),
        ])
    }

    private func projectJSON(
        _ project: (key: String, name: String, uuid: String), in workspace: EmulatedWorkspace
    ) -> JSONValue {
        .object([
            ("type", .string("project")),
            ("key", .string(project.key)),
            ("uuid", .string(project.uuid)),
            ("name", .string(project.name)),
            ("links", .object([("self", .link("\(apiBase)/workspaces/\(workspace.slug)/projects/\(project.key)"))])),
        ])
    }

    private func parentJSON(_ parent: EmulatedRepository, in data: EmulatorData) -> JSONValue {
        let parentName = "\(data.workspaces[parent.workspace].slug)/\(parent.slug)"
        return .object([
            ("type", .string("repository")),
            ("full_name", .string(parentName)),
            ("name", .string(parent.name)),
            ("uuid", .string(parent.uuid)),
            (
                "links",
                .object([
                    ("self", .link("\(apiBase)/repositories/\(parentName)")),
                    ("html", .link("https://bitbucket.org/\(parentName)")),
                ])
            ),
        ])
    }
}
