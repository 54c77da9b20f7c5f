import BitbucketEmulator
import Foundation
import TestSupport
import Testing

/// The emulator serves git's smart HTTP as Bitbucket does: the clone links name it, credentials
/// are checked as Bitbucket checks them, and the repositories are the same for the same seed.
@Suite(.stopsEmulators) struct GitContractTests {
    /// Repositories as the API lists them: full name, privacy, main branch, HTTPS clone link.
    func repositories(_ h: EmulatorHarness, token: String) async throws -> [(String, Bool, String?, String)] {
        var found: [(String, Bool, String?, String)] = []
        for workspace in ["zoe-angstrom", "acme-platform", "data-science"] {
            let page = try await h.get("/2.0/repositories/\(workspace)?pagelen=100", token: token).object
            for value in page["values"] as? [[String: Any]] ?? [] {
                let links = (value["links"] as? [String: Any])?["clone"] as? [[String: String]] ?? []
                found.append(
                    (
                        value["full_name"] as? String ?? "", value["is_private"] as? Bool ?? true,
                        (value["mainbranch"] as? [String: Any])?["name"] as? String,
                        links.first { $0["name"] == "https" }?["href"] ?? ""
                    ))
            }
        }
        return found
    }

    func refs(_ h: EmulatorHarness, _ fullName: String, auth: (String, String)?) async throws -> HTTPResult {
        try await h.request(
            .GET, "/\(fullName).git/info/refs?service=git-upload-pack",
            headers: auth.map { [("Authorization", "Basic " + Data("\($0.0):\($0.1)".utf8).base64EncodedString())] }
                ?? [])
    }

    @Test func cloneLinksNameTheEmulatorWithTheUsersName() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let all = try await repositories(h, token: token)
        #expect(!all.isEmpty)
        let base = h.endpoints.baseURL.replacingOccurrences(of: "http://", with: "http://zoe@")
        for (name, _, _, link) in all { #expect(link == "\(base)/\(name).git") }
    }

    @Test func credentialsAreCheckedAsBitbucketChecksThem() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let all = try await repositories(h, token: token)
        let privateRepository = try #require(all.first { $0.1 && $0.2 != nil }).0
        // No credentials: 401 with Bitbucket's realm, which makes git ask its helpers.
        let anonymous = try await refs(h, privateRepository, auth: nil)
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Basic realm=\"Bitbucket.org HTTP\"")
        // The access token as x-token-auth's password.
        let granted = try await refs(h, privateRepository, auth: ("x-token-auth", token))
        #expect(granted.status == 200)
        #expect(granted.headers["content-type"] == "application/x-git-upload-pack-advertisement")
        #expect(granted.body.hasPrefix("001e# service=git-upload-pack\n0000"))
        // Without `.git`, as Bitbucket serves it too.
        let plain = try await h.request(
            .GET, "/\(privateRepository)/info/refs?service=git-upload-pack",
            headers: [("Authorization", "Basic " + Data("x-token-auth:\(token)".utf8).base64EncodedString())])
        #expect(plain.status == 200 && plain.body == granted.body)
        // A wrong token, a token as another user, and the token as a bearer: refused like none.
        #expect(try await refs(h, privateRepository, auth: ("x-token-auth", "nope")).status == 401)
        #expect(try await refs(h, privateRepository, auth: ("someone", token)).status == 401)
        // The API token, as x-bitbucket-api-token-auth or the user's name.
        let apiToken = h.endpoints.apiToken
        #expect(try await refs(h, privateRepository, auth: ("x-bitbucket-api-token-auth", apiToken)).status == 200)
        #expect(try await refs(h, privateRepository, auth: ("zoe", apiToken)).status == 200)
        _ = try await h.post("/_emulator/api-token/expire")
        #expect(try await refs(h, privateRepository, auth: ("x-bitbucket-api-token-auth", apiToken)).status == 401)
        // An expired access token.
        _ = try await h.post("/_emulator/expire-tokens")
        #expect(try await refs(h, privateRepository, auth: ("x-token-auth", token)).status == 401)
        // No such repository, with credentials: 404; without: 401 (its existence is not told).
        let fresh = try await h.accessToken()
        #expect(try await refs(h, "acme-platform/no-such-thing", auth: ("x-token-auth", fresh)).status == 404)
        #expect(try await refs(h, "acme-platform/no-such-thing", auth: nil).status == 401)
        // Pushing needs repository:write, which the consumer does not have.
        let push = try await h.request(
            .GET, "/\(privateRepository).git/info/refs?service=git-receive-pack",
            headers: [("Authorization", "Basic " + Data("x-token-auth:\(fresh)".utf8).base64EncodedString())])
        #expect(push.status == 403)
        let stats = try await h.request(.GET, "/_emulator/stats").object
        let requests = stats["requests"] as? [String: Int] ?? [:]
        #expect(requests["GET /{workspace}/{repo_slug}.git/info/refs"] == 12)
    }

    @Test func publicRepositoriesAreReadWithoutCredentials() async throws {
        let h = try await EmulatorHarness.start()
        let all = try await repositories(h, token: try await h.accessToken())
        let publicRepository = try #require(all.first { !$0.1 && $0.2 != nil }).0
        #expect(try await refs(h, publicRepository, auth: nil).status == 200)
        let push = try await h.request(.GET, "/\(publicRepository).git/info/refs?service=git-receive-pack")
        #expect(push.status == 401)
    }

    @Test func aTokenWithoutTheRepositoryScopeIsForbidden() async throws {
        let h = try await EmulatorHarness.start { $0.scopes = ["account", "email"] }
        let token = try await h.accessToken()
        let result = try await refs(h, "acme-platform/anything", auth: ("x-token-auth", token))
        #expect(result.status == 403)
    }

    /// The advertised refs (each branch and its commit) for every repository of a workspace.
    func advertisements(seed: UInt64) async throws -> [String: String] {
        let h = try await EmulatorHarness.start { $0.seed = seed }
        defer { Task { await h.stop() } }
        let token = try await h.accessToken()
        var out: [String: String] = [:]
        for (name, _, branch, _) in try await repositories(h, token: token).prefix(12) {
            let body = try await refs(h, name, auth: ("x-token-auth", token)).body
            // The capabilities name the agent (git's version); the refs are what is compared.
            let refs = body.split(separator: "\n").compactMap { line -> String? in
                guard let space = line.firstIndex(of: " ") else { return nil }
                let ref = line[line.index(after: space)...].split(separator: "\0").first.map(String.init) ?? ""
                return ref.hasPrefix("refs/")
                    ? String(line[line.index(line.startIndex, offsetBy: 4)..<space]) + " " + ref : nil
            }
            out[name] = (branch ?? "-") + ": " + refs.joined(separator: ", ")
        }
        return out
    }

    @Test func theSameSeedMakesTheSameRepositories() async throws {
        let first = try await advertisements(seed: 7)
        let second = try await advertisements(seed: 7)
        #expect(first.count == 12)
        #expect(first == second)
        for (_, refs) in first {
            let branch = String(refs.prefix { $0 != ":" })
            if branch == "-" {
                // An empty repository: no main branch in the API, no refs in git.
                #expect(refs == "-: ")
            } else {
                #expect(refs.contains(" refs/heads/\(branch)"), "\(refs)")
            }
        }
    }
}
