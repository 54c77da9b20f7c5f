/// A small deterministic random generator (SplitMix64), so the same seed always yields the same
/// account, byte for byte, on every machine.
struct SeededRandom: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: Range<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(next() % 1_000_000) / 1_000_000 < probability
    }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    /// A Bitbucket-style UUID in braces.
    mutating func uuid() -> String {
        let a = next()
        let b = next()
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let s = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s.suffix(digits)
        }
        return
            "{\(hex(a >> 32, 8))-\(hex(a >> 16 & 0xFFFF, 4))-4\(hex(a & 0xFFF, 3))-a\(hex(b >> 48 & 0xFFF, 3))-\(hex(b & 0xFFFF_FFFF_FFFF, 12))}"
    }

    /// Random letters and digits, like Bitbucket's codes and tokens.
    mutating func token(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet[int(0..<alphabet.count)] })
    }
}

/// A repository as the emulator stores it; rendered to JSON on demand.
struct EmulatedRepository: Sendable {
    var uuid: String
    var name: String
    var slug: String
    var workspace: Int
    var description: String
    var isPrivate: Bool
    var language: String
    var size: Int
    /// Seconds since 1970.
    var createdOn: Int
    var updatedOn: Int
    var mainBranch: String?
    var forkPolicy: String
    var hasIssues: Bool
    var hasWiki: Bool
    var project: Int
    /// Index of the repository this one is a fork of.
    var parent: Int?
    var website: String?
    /// Deleted by churn: kept in place so indices (parents) stay valid, never served.
    var isDeleted = false
}

/// A key on the account, as `/users/{selected_user}/ssh-keys` serves it.
struct EmulatedSSHKey: Sendable {
    var uuid: String
    /// `algorithm base64`, without a comment (Bitbucket keeps the comment apart).
    var key: String
    var label: String
    var comment: String
    var createdOn: Int
    var lastUsed: Int?
    var expiresOn: Int?
}

/// A workspace the user belongs to.
struct EmulatedWorkspace: Sendable {
    var uuid: String
    var slug: String
    /// Nil for the workspace whose name is unset.
    var name: String?
    var isAdministrator: Bool
    var isPersonal: Bool
    var projects: [(key: String, name: String, uuid: String)]
}

/// The account the emulator serves: one user, their emails, workspaces and repositories,
/// generated deterministically from a seed.
struct EmulatorData: Sendable {
    var userUUID: String
    var accountID: String
    var displayName: String
    var nickname: String
    var createdOn: Int
    var location: String?
    var website: String?
    var emails: [(address: String, isPrimary: Bool, isConfirmed: Bool)]
    var workspaces: [EmulatedWorkspace]
    var repositories: [EmulatedRepository]
    var sshKeys: [EmulatedSSHKey] = []
    /// Bumped by every change, so derived orders cached for one version are never served for another.
    var generation = 0

    static let languages = [
        "swift", "go", "python", "javascript", "typescript", "java", "rust", "c", "c++", "kotlin", "ruby", "php",
        "haskell", "shell", "",
    ]
    static let words = [
        "api", "gateway", "infra", "billing", "search", "mobile", "web", "auth", "payments", "docs", "cli", "sdk", "ml",
        "pipeline", "metrics", "events", "notifier", "scheduler", "storage", "frontend", "backend", "terraform",
        "ansible", "dashboards", "reports", "ledger", "identity", "gateway",
    ]
    static let special = ["日本語ドキュメント", "数据平台", "🚀 launcher", "café-menu", "Ünïcödé tools", "한국어-wiki", "emoji-🎉-party"]
    /// The main branch of every 50th repository (from the 8th) with hostile data.
    static let hostileBranch = "-x; $(touch pwned) `id` 'q' \"d\" a b\n\u{1B}[2J\u{1B}]0;t\u{07}end"
    static let hostileStrings = [
        "evil\u{1B}[2J\u{1B}[Hcleared",
        "clip\u{1B}]52;c;cm0gLXJmIH4K\u{07}board",
        "\u{1B}]8;;https://evil.example/\u{1B}\\innocent link\u{1B}]8;;\u{1B}\\",
        "c1\u{9B}31mred",
        "bidi \u{202E}gnp.exe\u{202C} file",
        "zero\u{200B}width\u{2066}iso\u{2069}",
        "z\u{0301}\u{0302}\u{0303}\u{0304}\u{0305}\u{0306}\u{0307}\u{0308}\u{0309}\u{030A}\u{030B}\u{030C}algo",
        "bell\u{07}\u{08}\u{08}back\u{7F}",
        "title\u{1B}]0;pwned\u{07}",
    ]

    /// Generates the account. The random draws happen in a fixed order: the same seed gives the
    /// same account, byte for byte.
    static func make(
        seed: UInt64, repositoryCount: Int, workspaceCount: Int, hostile: Bool, sshKeyCount: Int = 4
    ) -> EmulatorData {
        var rng = SeededRandom(seed: seed)
        let displayName = hostile ? "Zoë \u{1B}[31mÅngström\u{1B}[0m-李" : "Zoë Ångström-李"
        let workspaces = makeWorkspaces(count: workspaceCount, displayName: displayName, hostile: hostile, rng: &rng)
        let now = 1_795_000_000 // 2026-11-17, fixed so the data never changes with the clock.
        let repositories = makeRepositories(
            count: repositoryCount, in: workspaces, hostile: hostile, now: now, rng: &rng)
        var keyRandom = SeededRandom(seed: seed ^ 0x55_48_4B)
        let sshKeys = makeSSHKeys(count: sshKeyCount, rng: &keyRandom, hostile: hostile, now: now)
        return EmulatorData(
            userUUID: rng.uuid(),
            accountID: "557058:\(rng.uuid().dropFirst().dropLast().lowercased())",
            displayName: displayName,
            nickname: "zoe",
            createdOn: 1_365_759_067,
            location: "Zürich",
            website: nil,
            emails: [
                ("zoe@example.com", true, true),
                ("zoe.angstrom@work.example.org", false, true),
                (hostile ? "old\u{1B}[8m@example.net" : "zoe+old@example.net", false, false),
            ],
            workspaces: workspaces,
            repositories: repositories,
            sshKeys: sshKeys
        )
    }

    /// The personal workspace, then the teams, each with one to three projects.
    static func makeWorkspaces(
        count: Int, displayName: String, hostile: Bool, rng: inout SeededRandom
    ) -> [EmulatedWorkspace] {
        let teamNames: [(String, String?)] = [
            ("acme-platform", "ACME Platform"), ("data-science", nil), ("mobile-guild", "Mobile Guild 📱"),
            ("ops", "Operations"), ("research-lab", "Research Lab"), ("design", "Design 設計"),
        ]
        var workspaces = [
            EmulatedWorkspace(
                uuid: rng.uuid(), slug: "zoe-angstrom", name: displayName, isAdministrator: true, isPersonal: true,
                projects: [])
        ]
        for index in 0..<max(0, count - 1) {
            let base = teamNames[index % teamNames.count]
            let slug = index < teamNames.count ? base.0 : "\(base.0)-\(index / teamNames.count + 1)"
            var name = base.1.map { index < teamNames.count ? $0 : "\($0) \(index / teamNames.count + 1)" }
            if hostile && index == 2 { name = "Guild \u{1B}]52;c;ZXZpbA==\u{07}\u{202E}evil" }
            workspaces.append(
                EmulatedWorkspace(
                    uuid: rng.uuid(), slug: slug, name: name, isAdministrator: rng.chance(0.4), isPersonal: false,
                    projects: []))
        }
        for index in workspaces.indices {
            let count = 1 + rng.int(0..<3)
            workspaces[index].projects = (0..<count).map { p in
                let key = ["PROJ", "CORE", "OPS", "WEB"][p % 4]
                return (
                    key: key, name: ["Main project", "Core services", "Operations", "Web"][p % 4], uuid: rng.uuid()
                )
            }
        }
        return workspaces
    }

    /// The repositories, spread over the workspaces (the personal one gets few).
    static func makeRepositories(
        count: Int, in workspaces: [EmulatedWorkspace], hostile: Bool, now: Int, rng: inout SeededRandom
    ) -> [EmulatedRepository] {
        var repositories: [EmulatedRepository] = []
        repositories.reserveCapacity(count)
        var usedSlugs: [Int: Set<String>] = [:]
        for index in 0..<count {
            let workspace = workspaces.count == 1 || index % 10 == 0 ? 0 : 1 + (index % (workspaces.count - 1))
            let (name, slug) = repositoryName(
                index: index, hostile: hostile, used: &usedSlugs[workspace, default: []], rng: &rng)
            let created = now - rng.int(0..<(14 * 365 * 86_400))
            let updated = created + rng.int(0..<max(1, min(now - created, 6 * 365 * 86_400)))
            let isEmpty = rng.chance(0.05)
            let size = repositorySize(rng: &rng)
            let description = repositoryDescription(
                index: index, workspace: workspaces[workspace].slug, hostile: hostile, rng: &rng)
            let parent: Int? = repositories.isEmpty || !rng.chance(0.1) ? nil : rng.int(0..<repositories.count)
            let project = rng.int(0..<workspaces[workspace].projects.count)
            repositories.append(
                EmulatedRepository(
                    uuid: rng.uuid(), name: name, slug: slug, workspace: workspace, description: description,
                    isPrivate: rng.chance(0.7), language: rng.pick(languages), size: isEmpty ? rng.int(0..<512) : size,
                    createdOn: created, updatedOn: isEmpty ? created : updated,
                    mainBranch: isEmpty ? nil : (rng.chance(0.8) ? "main" : "master"),
                    forkPolicy: rng.pick(["allow_forks", "no_public_forks", "no_forks"]),
                    hasIssues: rng.chance(0.5), hasWiki: rng.chance(0.3), project: project, parent: parent,
                    website: rng.chance(0.1) ? "https://\(slug).example.com" : nil
                ))
            // A branch name is the person's to choose: one that a shell or a terminal would read.
            // (Set after the draws, so a seed gives the same account with or without it.)
            if hostile, index % 50 == 7, repositories[index].mainBranch != nil {
                repositories[index].mainBranch = hostileBranch
            }
        }
        return repositories
    }

    /// A name (sometimes one that breaks terminals or grapheme handling) and a slug unique in
    /// its workspace.
    static func repositoryName(
        index: Int, hostile: Bool, used: inout Set<String>, rng: inout SeededRandom
    ) -> (name: String, slug: String) {
        var name: String
        if index < special.count && index % 2 == 1 || rng.chance(0.03) {
            name = special[rng.int(0..<special.count)]
        } else {
            name = rng.pick(words) + "-" + rng.pick(words)
        }
        if hostile && rng.chance(0.15) { name = rng.pick(hostileStrings) }
        var slug = slugify(name)
        if slug.isEmpty { slug = "repo" }
        var unique = slug
        var counter = 2
        while used.contains(unique) {
            unique = "\(slug)-\(counter)"
            counter += 1
        }
        used.insert(unique)
        if unique != slug && !special.contains(name) { name = unique }
        return (name, unique)
    }

    /// Sizes from a few hundred bytes to several gigabytes, in five classes.
    static func repositorySize(rng: inout SeededRandom) -> Int {
        switch rng.int(0..<5) {
        case 0: return rng.int(200..<4_096)
        case 1: return rng.int(4_096..<1_048_576)
        case 2: return rng.int(1_048_576..<104_857_600)
        case 3: return rng.int(104_857_600..<1_073_741_824)
        default: return rng.int(1_073_741_824..<6_442_450_944)
        }
    }

    /// Empty, long, or a sentence naming the workspace; with hostile data, escape sequences too.
    static func repositoryDescription(
        index: Int, workspace: String, hostile: Bool, rng: inout SeededRandom
    ) -> String {
        var description: String
        switch rng.int(0..<10) {
        case 0, 1, 2: description = ""
        case 3:
            description =
                "A long description. "
                + String(
                    repeating:
                        "This repository holds the services, tooling and documentation that keep the platform running day and night. ",
                    count: 4)
        default:
            description = "Service for \(rng.pick(words)) and \(rng.pick(words)); maintained by the \(workspace) team."
        }
        if hostile {
            if rng.chance(0.2) { description = rng.pick(hostileStrings) + " " + description }
            if index % 25 == 3 { description = String(repeating: "0123456789\u{1B}[1m", count: 800) }
        }
        return description
    }

    /// Real ECDSA public keys (random points are not on the curve, and `ssh-keygen` checks).
    static let ecdsaKeys = [
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHWs5mqlQnZLJ197J6KD2YmBmwTrzLmtWIzCLUfNuUjd/MGvAghC692+pY00HaPdb23b64nvJTsxpCK8l9ZLOq0=",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGxgynF+NtIt2P0tXC+RFuiCNAdsTlcdJjOxjDr+p1GA4fz2RX2MMbZhHmCc8+TWeW1BFE2BGI5wd/julQC2cLg=",
        "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHRrAFAI/ManDmt4LmXHf+iDGboE+AtELWE0OLn3Xsn9+9j2o334aDWC46EJoZnXsuMYTgu1+s1L5cpKr9Q31MI=",
        "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBI4bKgy4KGjqtyGfBDol4F51zKXawVCtejTGkBPuoFBa+7X2sIKBk96X8YXDg8sawnKD7aqCNxrhTP0McGTGSDzmggxMZXYptfaj0tLOz+19kgiQ0lJ+s/lmL1HkvdRINA==",
    ]

    /// The account's keys, deterministic from the seed: an Ed25519 key in daily use, an RSA key
    /// last used over a year ago, an expired ECDSA key never used, and an Ed25519 key that
    /// expires next year; then more of the same kinds.
    static func makeSSHKeys(count: Int, rng: inout SeededRandom, hostile: Bool, now: Int) -> [EmulatedSSHKey] {
        func wire(_ bytes: [UInt8]) -> [UInt8] {
            let length = UInt32(bytes.count)
            return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                + bytes
        }
        func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        func base64(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }
        var keys: [EmulatedSSHKey] = []
        for index in 0..<max(0, count) {
            let key: String
            switch index % 4 {
            case 1:
                // RSA 3072: e = 65537, a random odd modulus with its top bit set.
                var modulus = randomBytes(384)
                modulus[0] |= 0x80
                modulus[383] |= 1
                key = "ssh-rsa " + base64(wire(Array("ssh-rsa".utf8)) + wire([1, 0, 1]) + wire([0] + modulus))
            case 2:
                key = ecdsaKeys[(index / 4 + rng.int(0..<ecdsaKeys.count)) % ecdsaKeys.count]
            default:
                key = "ssh-ed25519 " + base64(wire(Array("ssh-ed25519".utf8)) + wire(randomBytes(32)))
            }
            let day = 86_400
            var label =
                ["laptop", "build server", "", "ci (expires)"][index % 4] + (index >= 4 ? " \(index / 4 + 1)" : "")
            var comment = ["zoe@laptop", "builder@ci-01", "old-key", "ci@runner"][index % 4]
            if hostile {
                label = hostileStrings[index % hostileStrings.count]
                comment = hostileStrings[(index + 3) % hostileStrings.count]
            }
            keys.append(
                EmulatedSSHKey(
                    uuid: rng.uuid(), key: key, label: label, comment: comment,
                    createdOn: now - [400, 900, 2_000, 30][index % 4] * day - index * 3_600,
                    lastUsed: [now - 3 * day, now - 400 * day, nil, now - 1 * day][index % 4],
                    expiresOn: [nil, nil, now - 200 * day, now + 300 * day][index % 4]
                ))
        }
        return keys
    }

    /// Bitbucket-like slug: lower-case ASCII letters, digits, `-`, `_` and `.`; the rest becomes `-`.
    static func slugify(_ name: String) -> String {
        var out = ""
        for scalar in name.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") || scalar == "_" || scalar == "." {
                out.unicodeScalars.append(scalar)
            } else if out.last != "-" {
                out += "-"
            }
        }
        return out.trimmingCharacters(in: "-")
    }
}

/// Standard base64 with padding (the emulator has no Foundation).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let a = bytes[index]
            let b = index + 1 < bytes.count ? bytes[index + 1] : 0
            let c = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 0x03) << 4 | b >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b & 0x0F) << 2 | c >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(c & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
