import AsyncHTTPClient
import BitbucketEmulator
import Foundation
import TestSupport
import Testing

@Suite(.stopsEmulators) struct RepositoryListingTests {
    /// Every repository of a workspace, following `next`.
    func all(
        _ h: EmulatorHarness, token: String, _ first: String
    ) async throws -> (values: [[String: Any]], pages: Int, sizes: Set<Int>) {
        var url: String? = first
        var values: [[String: Any]] = []
        var pages = 0
        var sizes: Set<Int> = []
        while let next = url {
            let page = try await h.get(next, token: token)
            #expect(page.status == 200)
            values += page.object["values"] as? [[String: Any]] ?? []
            if let size = page.object["size"] as? Int { sizes.insert(size) }
            url = page.object["next"] as? String
            pages += 1
        }
        return (values, pages, sizes)
    }

    @Test(arguments: ["-updated_on", "updated_on", "name", "-size"])
    func everyRepositoryExactlyOnceAcrossPages(sort: String) async throws {
        let h = try await EmulatorHarness.start { $0.repositoryCount = 500 }
        let token = try await h.accessToken()
        let (values, pages, sizes) = try await all(
            h, token: token, "/2.0/repositories/acme-platform?role=member&pagelen=25&sort=\(sort)")
        let uuids = values.compactMap { $0["uuid"] as? String }
        #expect(Set(uuids).count == uuids.count)
        #expect(sizes == [uuids.count])
        #expect(pages == (uuids.count + 24) / 25)
        let keyName = sort.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        if keyName == "size" {
            let sizesInOrder = values.compactMap { $0["size"] as? Int }
            #expect(sizesInOrder == sizesInOrder.sorted(by: >))
        } else if keyName == "updated_on" {
            let dates = values.compactMap { $0["updated_on"] as? String }
            #expect(dates == (sort.hasPrefix("-") ? dates.sorted(by: >) : dates.sorted()))
        }
    }

    @Test func allWorkspacesTogetherHoldEveryRepository() async throws {
        let h = try await EmulatorHarness.start { $0.repositoryCount = 300 }
        let token = try await h.accessToken()
        var total = 0
        for slug in ["zoe-angstrom", "acme-platform", "data-science", "mobile-guild"] {
            total += try await all(h, token: token, "/2.0/repositories/\(slug)?pagelen=100").values.count
        }
        #expect(total == 300)
    }

    @Test func pagelenIsCappedAt100() async throws {
        let h = try await EmulatorHarness.start { $0.repositoryCount = 600 }
        let page = try await h.get("/2.0/repositories/acme-platform?pagelen=500", token: try await h.accessToken())
        #expect(page.object["pagelen"] as? Int == 100)
        #expect((page.object["values"] as? [Any])?.count == 100)
        #expect((page.object["next"] as? String)?.contains("page=2") == true)
    }

    @Test func queryFilters() async throws {
        let h = try await EmulatorHarness.start { $0.repositoryCount = 400 }
        let token = try await h.accessToken()
        let q = "name ~ \"API\" AND is_private = false"
        let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let (values, _, _) = try await all(h, token: token, "/2.0/repositories/acme-platform?pagelen=100&q=\(encoded)")
        #expect(!values.isEmpty)
        for value in values {
            #expect((value["name"] as? String)?.lowercased().contains("api") == true)
            #expect(value["is_private"] as? Bool == false)
        }
        let bad = try await h.get("/2.0/repositories/acme-platform?q=nosuchfield%3D1", token: token)
        #expect(bad.status == 400)
        #expect(bad.object["type"] as? String == "error")
    }

    @Test func fieldsSelectsValues() async throws {
        let h = try await EmulatorHarness.start()
        let page = try await h.get(
            "/2.0/repositories/acme-platform?pagelen=2&fields=next,size,values.full_name,values.links.clone",
            token: try await h.accessToken())
        #expect(Set(page.object.keys) == ["next", "size", "values"])
        let first = try #require((page.object["values"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["full_name", "links"])
        let clone = try #require((first["links"] as? [String: Any])?["clone"] as? [[String: String]])
        #expect(clone.map { $0["name"] } == ["https", "ssh"])
        #expect(clone[1]["href"]?.hasPrefix("git@ssh.bitbucket.org:acme-platform/") == true)
    }

    @Test func singleRepositoryAndMisses() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let list = try await h.get("/2.0/repositories/acme-platform?pagelen=1", token: token)
        let fullName = try #require((list.object["values"] as? [[String: Any]])?.first?["full_name"] as? String)
        let one = try await h.get("/2.0/repositories/\(fullName)", token: token)
        #expect(one.status == 200)
        #expect(one.object["full_name"] as? String == fullName)
        #expect(try await h.get("/2.0/repositories/acme-platform/nope", token: token).status == 404)
        #expect(try await h.get("/2.0/repositories/no-such-workspace", token: token).status == 404)
    }

    @Test func dataHasEveryShape() async throws {
        let h = try await EmulatorHarness.start { $0.repositoryCount = 400 }
        let token = try await h.accessToken()
        var values: [[String: Any]] = []
        for slug in ["zoe-angstrom", "acme-platform", "data-science", "mobile-guild"] {
            values += try await all(h, token: token, "/2.0/repositories/\(slug)?pagelen=100").values
        }
        #expect(values.contains { $0["mainbranch"] is NSNull })
        #expect(values.contains { $0["parent"] != nil })
        #expect(values.contains { ($0["description"] as? String)?.isEmpty == true })
        #expect(values.contains { ($0["description"] as? String ?? "").count > 300 })
        #expect(
            values.contains { ($0["is_private"] as? Bool) == true }
                && values.contains { ($0["is_private"] as? Bool) == false })
        #expect(values.contains { ($0["name"] as? String ?? "").unicodeScalars.contains { $0.value > 0x3000 } })
        #expect(
            values.contains {
                ($0["name"] as? String ?? "").contains("🚀") || ($0["name"] as? String ?? "").contains("🎉")
            })
        let sizes = values.compactMap { $0["size"] as? Int }
        #expect(sizes.min()! < 4096 && sizes.max()! > 1_073_741_824)
        #expect(Set(values.compactMap { $0["language"] as? String }).count > 8)
        let years = Set(values.compactMap { ($0["created_on"] as? String)?.prefix(4) })
        #expect(years.count > 8)
    }

    @Test func hostileDataCarriesEscapes() async throws {
        let h = try await EmulatorHarness.start {
            $0.isHostile = true
            $0.repositoryCount = 200
        }
        let token = try await h.accessToken()
        let user = try await h.get("/2.0/user", token: token)
        #expect((user.object["display_name"] as? String)?.contains("\u{1B}[31m") == true)
        #expect(user.body.contains("\\u001b"))
        var values: [[String: Any]] = []
        for slug in ["acme-platform", "data-science", "mobile-guild"] {
            values += try await all(h, token: token, "/2.0/repositories/\(slug)?pagelen=100").values
        }
        let text = values.map { "\($0["name"] ?? "") \($0["description"] ?? "")" }.joined()
        #expect(text.contains("\u{1B}]52;"))
        #expect(text.contains("\u{202E}"))
        #expect(text.contains("\u{9B}"))
        #expect(values.contains { ($0["description"] as? String ?? "").utf8.count >= 10_000 })
    }

    @Test func deterministicFromSeed() async throws {
        func snapshot(seed: UInt64) async throws -> String {
            let h = try await EmulatorHarness.start { $0.seed = seed }
            let token = try await h.accessToken()
            let user = try await h.get("/2.0/user", token: token).body
            let repos = try await h.get("/2.0/repositories/acme-platform?pagelen=100", token: token).body
            // The clone links carry the user in the base (`http://zoe@127.0.0.1:…`).
            let host = h.endpoints.baseURL.replacingOccurrences(of: "http://", with: "")
            return (user + repos).replacingOccurrences(of: host, with: "HOST")
        }
        let a = try await snapshot(seed: 7)
        let b = try await snapshot(seed: 7)
        let c = try await snapshot(seed: 8)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func eightConcurrentClientsPaging5000() async throws {
        let h = try await EmulatorHarness.start {
            $0.repositoryCount = 5000
            $0.workspaceCount = 6
            $0.latency = .milliseconds(20)
        }
        let token = try await h.accessToken()
        let slugs = ["zoe-angstrom", "acme-platform", "data-science", "mobile-guild", "ops", "research-lab"]
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var uuids = Set<String>()
                    for slug in slugs {
                        let (values, _, _) = try await all(
                            h, token: token, "/2.0/repositories/\(slug)?pagelen=100&sort=-updated_on")
                        for value in values { uuids.insert(value["uuid"] as? String ?? "") }
                    }
                    return uuids.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 5000, count: 8))
        #expect(h.emulator.core.stats.peakConcurrency >= 2)
    }
}

/// What issue 10 asked of the emulator: 304 on list pages, `fields=` with `-`, `q` on
/// `updated_on`, the SSH keys endpoint, and churn.
@Suite(.stopsEmulators) struct ListingContractTests {
    @Test func listPagesAnswer304AndChangeTheirETagWhenTheAccountChanges() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let slugs = ["acme-platform", "data-science", "mobile-guild", "zoe-angstrom"]
        func path(_ slug: String) -> String { "/2.0/repositories/\(slug)?pagelen=10&sort=-updated_on" }
        var etags: [String: String] = [:]
        for slug in slugs {
            let first = try await h.get(path(slug), token: token)
            etags[slug] = try #require(first.headers["etag"])
            let again = try await h.get(path(slug), token: token, headers: [("If-None-Match", etags[slug]!)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
        }
        // An update moves one repository to the top of its workspace: that page, and only that
        // one, changes.
        let churn = try await h.post("/_emulator/churn?now=1&kind=update")
        let change = try #require((churn.object["changes"] as? [String])?.first)
        let updated = try #require(change.split(separator: " ").last?.split(separator: "/").first.map(String.init))
        for slug in slugs {
            let result = try await h.get(path(slug), token: token, headers: [("If-None-Match", etags[slug]!)])
            #expect(result.status == (slug == updated ? 200 : 304), "\(slug) after \(change)")
        }
    }

    @Test func fieldsDropsWithMinusAndQFiltersOnUpdatedOn() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let trimmed = try await h.get(
            "/2.0/repositories/acme-platform?pagelen=3&fields=-values.links,-values.owner,-page", token: token)
        #expect(trimmed.object["page"] == nil)
        let value = try #require((trimmed.object["values"] as? [[String: Any]])?.first)
        #expect(value["links"] == nil && value["owner"] == nil && value["full_name"] != nil)

        let all = try await h.get("/2.0/repositories/acme-platform?pagelen=100&sort=-updated_on", token: token)
        let dates = (all.object["values"] as? [[String: Any]] ?? []).compactMap { $0["updated_on"] as? String }
        let pivot = dates[dates.count / 2]
        let query = "updated_on > \"\(pivot)\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let newer = try await h.get("/2.0/repositories/acme-platform?pagelen=100&q=\(query)", token: token)
        let newerDates = (newer.object["values"] as? [[String: Any]] ?? []).compactMap { $0["updated_on"] as? String }
        #expect(newerDates.count == dates.filter { $0 > pivot }.count)
        #expect(newer.object["size"] as? Int == newerDates.count)
    }

    @Test func sshKeysAreTheUsersOwnPaginatedWithOptionalDates() async throws {
        let h = try await EmulatorHarness.start()
        let token = try await h.accessToken()
        let user = try await h.get("/2.0/user", token: token)
        let uuid = try #require(user.object["uuid"] as? String)
        let encoded = uuid.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let page = try await h.get("/2.0/users/\(encoded)/ssh-keys?pagelen=2", token: token)
        #expect(page.status == 200)
        #expect(page.object["size"] as? Int == 4)
        #expect(page.object["next"] != nil)
        let keys = try #require(page.object["values"] as? [[String: Any]])
        #expect(
            keys.allSatisfy {
                $0["type"] as? String == "ssh_key" && $0["key"] is String && $0["uuid"] is String
                    && $0["created_on"] is String
            })
        #expect(keys[0]["last_used"] is String)
        #expect(keys[0]["expires_on"] == nil, "absent, not null, when unset")
        let byAccountID = try await h.get(
            "/2.0/users/\(try #require(user.object["account_id"] as? String))/ssh-keys", token: token)
        #expect(byAccountID.status == 200)
        #expect(try await h.get("/2.0/users/%7Bsomeone-else%7D/ssh-keys", token: token).status == 404)
    }

    @Test func churnChangesTheAccountDeterministically() async throws {
        var runs: [[String]] = []
        for _ in 0..<2 {
            let h = try await EmulatorHarness.start { $0.seed = 7 }
            let result = try await h.post("/_emulator/churn?now=10")
            runs.append(try #require(result.object["changes"] as? [String]))
        }
        #expect(runs[0] == runs[1])
        #expect(
            runs[0].map { String($0.prefix { $0 != " " }) } == [
                "create", "delete", "rename", "update", "move", "create", "delete", "rename", "update", "move",
            ])
    }
}
